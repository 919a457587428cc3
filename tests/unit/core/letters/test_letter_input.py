"""What a letter may hold, and what a published letter shows (no name, no contact)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from core.errors import Invalid
from core.letters import Draft, Letter
from core.letters.models import BODY_MAX, DEPARTMENT_MAX, SUBJECT_MAX
from core.letters.publication import letter_page, letter_url, mask_personal, published
from core.settings import Settings

GOOD = {"site_id": "portal", "kind": "咨询", "department": "市人社局", "subject": "社保转移", "body": "请问如何办理？"}


def test_a_good_draft_is_trimmed() -> None:
    d = Draft(**{**GOOD, "subject": "  社保转移 \n"}).check()
    assert d.subject == "社保转移" and d.kind == "咨询"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("kind", "表扬", "kind must be one of 咨询 / 投诉 / 建议"),
        ("kind", "consult", "kind must be one of"),
        ("subject", "   ", "subject must not be empty"),
        ("subject", "字" * (SUBJECT_MAX + 1), f"at most {SUBJECT_MAX}"),
        ("body", "", "body must not be empty"),
        ("body", "字" * (BODY_MAX + 1), f"at most {BODY_MAX}"),
        ("department", "", "department must not be empty"),
        ("department", "局" * (DEPARTMENT_MAX + 1), f"at most {DEPARTMENT_MAX}"),
        ("site_id", "Not A Site", "is not a site id"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix(field: str, value: str, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        Draft(**{**GOOD, field: value}).check()


def test_personal_numbers_are_masked() -> None:
    text = "我的电话13812345678，座机0371-12345678，身份证41010219900101123X，邮箱zhang.san@example.com，编号2024001"
    masked = mask_personal(text)
    for secret in ("13812345678", "0371-12345678", "41010219900101123X", "zhang.san@example.com"):
        assert secret not in masked
    assert "2024001" in masked and "我的电话" in masked


def letter(**kw: object) -> Letter:
    values: dict[str, object] = {
        "id": uuid.UUID("00000000-0000-0000-0000-00000000abcd"),
        "user_id": uuid.uuid4(),
        "username": "zhangsan",
        "site_id": "portal",
        "kind": "咨询",
        "department": "市人社局",
        "subject": "社保转移",
        "body": "我叫张三，电话13812345678，请问社保怎么转？",
        "consent_to_publish": True,
        "submitted_at": datetime(2024, 6, 13, 2, tzinfo=UTC),
        "due_on": date(2024, 6, 20),
        "reply_body": "请携带身份证到窗口办理。",
        "replied_at": datetime(2024, 6, 17, 8, tzinfo=UTC),
        "replier_name": "王科长",
    }
    return Letter(**{**values, **kw})  # type: ignore[arg-type]


def test_a_published_letter_is_a_letter_document_without_personal_data() -> None:
    x = letter()
    starts = ["https://www.example.gov.cn/index.html"]
    url = letter_url("{origin}/letters/{id}", start_urls=starts, portal="https://gov.example.cn", letter=x)
    assert url == "https://www.example.gov.cn/letters/00000000-0000-0000-0000-00000000abcd"
    page = letter_page(x, url)
    assert (page.kind, page.source, page.site_id, page.url) == ("letter", "letter", "portal", url)
    assert page.title == "社保转移" and "请携带身份证到窗口办理" in page.text and "市人社局" in page.text
    shown = page.encode().decode()
    for personal in ("zhangsan", "13812345678", "王科长", str(x.user_id)):
        assert personal not in shown
    assert page.meta["replied_on"] == "2024-06-17" and page.published_at == "2024-06-17"
    assert letter_page(x, url).content_hash == page.content_hash  # publishing again is a duplicate


def test_a_published_letter_lives_on_the_portal_by_default() -> None:
    """The site's own origin (a crawled site) has no page for it: the portal's /letters/{id} does."""
    settings = Settings.from_env({"PUBLIC_URL": "https://www.gov.example.cn/"})
    url = letter_url(
        settings.letter_url_template,
        start_urls=["https://rs.example.gov.cn/index.html"],
        portal=settings.issuer,
        letter=letter(),
    )
    assert url == "https://www.gov.example.cn/letters/00000000-0000-0000-0000-00000000abcd"


def test_the_public_view_shows_what_the_document_shows() -> None:
    x = letter(subject="回电13812345678", reply_body="请拨打0571-87654321或发邮件到a.b@example.com。")
    shown = published(x, "https://p/letters/1")
    assert shown.subject == "回电＊＊＊＊＊＊＊＊＊＊＊" and "13812345678" not in shown.question
    assert "0571-87654321" not in shown.reply and "a.b@example.com" not in shown.reply and "请拨打" in shown.reply
    assert (shown.submitted_on, shown.replied_on) == (date(2024, 6, 13), date(2024, 6, 17))
    page = letter_page(x, shown.url)
    assert page.title == shown.subject and shown.question in page.text and shown.reply in page.text
    assert not {"username", "user_id", "replier_name"} & set(vars(shown))
