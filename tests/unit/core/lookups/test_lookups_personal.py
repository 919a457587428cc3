"""Personal questions (我的公积金余额是多少) are recognised; the demo answers are worded per account kind."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from core.lookups.answers import record_text, sign_in_text
from core.lookups.connector import DemoConnector
from core.lookups.intent import personal_question
from core.lookups.models import Holder

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("question", "kind", "aspect"),
    [
        ("我的公积金余额是多少", "housing_fund", "balance"),
        ("我的医保卡余额", "medical", "balance"),
        ("我社保交了几年", "pension", "years"),
        ("我的社保缴费记录", "pension", "history"),
        ("查一下我们单位的公积金缴存情况", "housing_fund", "history"),
        ("我的医保卡余额怎么查", "medical", "balance"),
        ("我的医保", "medical", "overview"),  # the record asked for whole: what it holds now
        ("我的社保呢", "pension", "overview"),
        ("本人住房公积金情况？", "housing_fund", "overview"),
    ],
)
def test_personal_questions_are_recognised(question: str, kind: str, aspect: str) -> None:
    found = personal_question(question)
    assert found is not None and (found.kind, found.aspect) == (kind, aspect)


@pytest.mark.parametrize(
    "question",
    [
        "公积金余额怎么查询",
        "我的公积金怎么提取",
        "我想办社保卡需要什么材料",
        "社保交满几年才能领养老金",
        "我的身份证丢了",
        "我的医保怎么报销",
        "我的社保卡丢了",
        "医保",
    ],
)
def test_how_to_and_general_questions_are_left_to_the_knowledge_base(question: str) -> None:
    assert personal_question(question) is None


def holder(kind: str = "person", region: str | None = "510104", user_id: uuid.UUID | None = None) -> Holder:
    return Holder(user_id=user_id or uuid.uuid4(), username="u", name="张三", kind=kind, region_code=region)  # type: ignore[arg-type]


async def test_demo_records_are_marked_stable_per_account_and_differ_between_accounts() -> None:
    demo, who = DemoConnector(), holder()
    first = await demo.fetch(holder=who, kind="housing_fund", today=TODAY)
    assert first == await demo.fetch(holder=who, kind="housing_fund", today=TODAY)
    assert first.demo and first.account_no.startswith("DEMO") and first.region_code == "510104"
    others = {(await demo.fetch(holder=holder(), kind="housing_fund", today=TODAY)).balance for _ in range(5)}
    assert len(others | {first.balance}) > 1
    assert [e.period for e in first.entries[:2]] == ["2026-12", "2026-11"]
    assert first.months_paid >= len(first.entries) and first.since <= TODAY
    pension = await demo.fetch(holder=who, kind="pension", today=TODAY)
    assert pension.balance is None and pension.insured_staff is None


async def test_a_legal_person_gets_its_units_contributions_in_unit_wording() -> None:
    demo, unit = DemoConnector(), holder("legal")
    fund = await demo.fetch(holder=unit, kind="housing_fund", today=TODAY)
    assert fund.holder_kind == "legal" and fund.insured_staff is not None and fund.insured_staff >= 5
    text = record_text(fund, "years")
    assert text.startswith("（演示数据）贵单位") and "单位缴存" in text and "您的" not in text
    insured = record_text(await demo.fetch(holder=unit, kind="pension", today=TODAY), "balance")
    assert "单位参保" in insured
    person = record_text(await demo.fetch(holder=holder(), kind="housing_fund", today=TODAY), "balance")
    assert "您的住房公积金账户" in person and "当前余额" in person and "元" in person and "单位缴存" not in person


async def test_history_lists_the_latest_months_and_flags_unpaid_ones() -> None:
    demo = DemoConnector()
    for _ in range(12):  # a few accounts: some have an unpaid month, which the answer must point out
        record = await demo.fetch(holder=holder(), kind="pension", today=TODAY)
        text = record_text(record, "history")
        assert record.entries[0].period in text
        assert ("尚未缴纳" in text) == any(e.status == "未缴" for e in record.entries)


def test_sign_in_text_names_the_login_url() -> None:
    text = sign_in_text("medical", "https://id.example.gov.cn/signin?next=/ask", expired=False)
    assert "登录" in text and "https://id.example.gov.cn/signin?next=/ask" in text and "医疗保险" in text
    assert "过期" in sign_in_text("medical", "https://x/signin", expired=True)
