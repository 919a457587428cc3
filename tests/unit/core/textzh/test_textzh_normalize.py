"""fold: simplified script, half-width ASCII, lower case, one space."""

from __future__ import annotations

import pytest

from core.textzh import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("社會保險", "社会保险"),
        ("戶籍", "户籍"),
        ("住房公積金貸款", "住房公积金贷款"),
        ("ＡＢＣ１２３", "abc123"),
        ("办理时限：３０（工作日）", "办理时限:30(工作日)"),
        ("  营业执照\u3000 办理\n\t指南 ", "营业执照 办理 指南"),
        ("PDF 下载", "pdf 下载"),
        ("不动\u200b产登记", "不动产登记"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_is_idempotent_and_keeps_simplified_text() -> None:
    text = "关于印发《广州市居民身份证办理指南》的通知（穗府办〔2023〕12号）"
    assert fold(fold(text)) == fold(text)
    assert fold("社会保险") == "社会保险"
    assert fold("") == ""
