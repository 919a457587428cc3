"""A handful of made-up Q&A pairs for the index's unit tests (test_qa_index, test_qa_rerank)."""

from __future__ import annotations

from collections.abc import Iterable

from core.qa.index import QaIndex

PAIRS = (
    ("subsidy", "企业复工有哪些支持政策？", "对按时复工的企业，按每人每天100元标准给予以工代训补贴，最长3个月。"),
    ("wages", "复工企业职工工资怎么发放？", "企业应按劳动合同约定的标准支付职工工资。"),
    ("tax-sh", "上海市税务局提供的网上办税渠道包括哪些？", "上海市电子税务局、个人所得税APP和微信公众号。"),
    ("tax-sz", "深圳市纳税人可以通过哪些方式办税？", "可通过网上办税渠道：电子税务局、深税服务号和自然人电子税务局。"),
    ("masks", "药店口罩限购吗？", "每人每次限购口罩5只，凭身份证登记购买。"),
)


def index_of(pairs: Iterable[tuple[str, str, str]]) -> QaIndex:
    """An index holding the (key, question, answer) pairs."""
    idx = QaIndex()
    for key, question, answer in pairs:
        idx.add(key, question, answer)
    return idx
