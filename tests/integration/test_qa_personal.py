"""Personal lookups in 一网通答 over the real API: signed-in people and units get their records (demo connector),
anonymous askers a sign-in answer, `myRecords` is refused to them; failures and timeouts; every lookup audited."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import UTC, date, datetime

import asyncpg
import pytest

from core.audit import AuditFilters, list_entries
from core.errors import Forbidden, Invalid, Unauthenticated, Upstream
from core.identity import accounts
from core.identity.auth import BREAK_GLASS
from core.identity.tokens import issue_access_token, verify_access_token
from core.lookups import DemoConnector, Holder, PersonalLookups, PersonalRecord, RecordKind
from core.qa.service import QaService
from core.settings import Settings
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration

ASK = """query($q: String!) { ask(question: $q) { kind answer needsSignIn loginUrl hotline
  record { kind holderKind regionCode accountNo balance monthsPaid insuredStaff demo } } }"""
# (the shared test API allows a depth of 2: a record's entries are read through myRecords)
MY = """query($k: RecordKind!) { myRecords(kind: $k) { kind holderKind regionCode accountNo balance monthsPaid
  yearsPaid insuredStaff demo entries { period amount employerPart personalPart status } } }"""


async def signed_in(pool: asyncpg.Pool, settings: Settings, issuer: str, *, legal: bool = False) -> tuple[str, str]:
    """A new account (a person, or a legal person with a credit code) and a real access token for the API."""
    username = f"rec{secrets.token_hex(5)}"
    credit = f"91{secrets.randbelow(10**6):06d}{secrets.token_hex(5).upper().replace('I', 'A').replace('O', 'B')}"
    user_id = await accounts.create_user(
        pool=pool,
        username=username,
        name="某某科技有限公司" if legal else "李四",
        password=None,
        kind="legal" if legal else "person",
        credit_code=credit if legal else None,
    )
    await accounts.set_region(pool=pool, user_id=user_id, region_code="510104" if legal else "440305")
    now = datetime.now(UTC)
    token = await issue_access_token(
        pool=pool,
        settings=dataclasses.replace(settings, public_url=issuer),
        user_id=user_id,
        client_id="portal",
        now=now,
    )
    return username, token


def code(body: dict[str, object]) -> str:
    return str(body["errors"][0]["extensions"]["code"])  # type: ignore[index]


async def test_anonymous_askers_are_asked_to_sign_in_and_myrecords_refuses_them(
    api_url: str, pg_pool: asyncpg.Pool
) -> None:
    for question in ("我的公积金余额是多少", "我的医保卡余额", "我社保交了几年", "我的社保缴费记录"):
        reply = (await gql(api_url, ASK, {"q": question}, token=None))["data"]["ask"]
        assert reply["kind"] == "need_sign_in" and reply["needsSignIn"] is True and reply["record"] is None
        assert reply["loginUrl"] == f"{api_url}/signin?next=/ask" and reply["loginUrl"] in reply["answer"]
    expired = (await gql(api_url, ASK, {"q": "我的公积金余额是多少"}, token="not-a-token"))["data"]["ask"]
    assert expired["needsSignIn"] is True and "过期" in expired["answer"]
    body = await gql(api_url, MY, {"k": "HOUSING_FUND"}, token=None)
    assert body["data"] is None and code(body) == "UNAUTHENTICATED"
    assert code(await gql(api_url, MY, {"k": "PENSION"}, token="not-a-token")) == "UNAUTHENTICATED"
    assert code(await gql(api_url, MY, {"k": "SALARY"}, token=None)) in ("BAD_INPUT", "GRAPHQL_VALIDATION_FAILED")
    normal = (await gql(api_url, ASK, {"q": "公积金余额怎么查询"}, token=None))["data"]["ask"]
    assert normal["kind"] != "need_sign_in" and normal["needsSignIn"] is False  # a how-to stays with the pairs


async def test_a_person_gets_their_own_records_in_ask_and_myrecords(
    api_url: str, pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    username, token = await signed_in(pg_pool, settings, api_url)
    reply = (await gql(api_url, ASK, {"q": "我的公积金余额是多少"}, token=token))["data"]["ask"]
    assert reply["kind"] == "personal" and reply["needsSignIn"] is False
    record = reply["record"]
    assert record["kind"] == "HOUSING_FUND" and record["holderKind"] == "person" and record["demo"] is True
    assert record["regionCode"] == "440305" and record["insuredStaff"] is None
    assert (
        reply["answer"].startswith("（演示数据）您的住房公积金账户") and f"{record['balance']:,.2f}" in reply["answer"]
    )
    mine = (await gql(api_url, MY, {"k": "HOUSING_FUND"}, token=token))["data"]["myRecords"]
    assert mine["accountNo"] == record["accountNo"] and mine["balance"] == record["balance"]
    assert len(mine["entries"]) == min(12, mine["monthsPaid"]) and mine["yearsPaid"] == round(
        mine["monthsPaid"] / 12, 1
    )
    years = (await gql(api_url, ASK, {"q": "我社保交了几年"}, token=token))["data"]["ask"]
    assert years["record"]["kind"] == "PENSION" and f"{years['record']['monthsPaid']} 个月" in years["answer"]
    trail = await list_entries(pool=pg_pool, filters=AuditFilters(username=username), offset=0, limit=10)
    assert sorted((e.operation, e.arguments["kind"], e.outcome) for e in trail.items) == [
        ("ask", "housing_fund", "allowed"),
        ("ask", "pension", "allowed"),
        ("myRecords", "housing_fund", "allowed"),
    ]
    assert all(str(record["balance"]) not in str(e.arguments) for e in trail.items)  # no record data in the trail


async def test_a_follow_up_asks_the_same_of_another_record(
    api_url: str, pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    """我的公积金余额是多少, then 那医保呢: the balance of the medical insurance account, in the same session."""
    _, token = await signed_in(pg_pool, settings, api_url)
    session = f"s-{secrets.token_hex(6)}"
    asked = """query($q: String!, $s: String) {
      ask(question: $q, sessionId: $s) { kind answer record { kind balance } } }"""
    first = (await gql(api_url, asked, {"q": "我的公积金余额是多少", "s": session}, token=token))["data"]["ask"]
    assert first["kind"] == "personal" and first["record"]["kind"] == "HOUSING_FUND"
    then = (await gql(api_url, asked, {"q": "那医保呢", "s": session}, token=token))["data"]["ask"]
    assert then["kind"] == "personal" and then["record"]["kind"] == "MEDICAL" and "余额" in then["answer"]
    alone = (await gql(api_url, asked, {"q": "那医保呢", "s": f"other-{session}"}, token=token))["data"]["ask"]
    assert alone["kind"] != "personal", "without the earlier question, 那医保呢 is not about one's own record"


async def test_a_legal_person_gets_its_units_records_in_unit_wording(
    api_url: str, pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    _, token = await signed_in(pg_pool, settings, api_url, legal=True)
    reply = (await gql(api_url, ASK, {"q": "我们单位的公积金缴了多少年"}, token=token))["data"]["ask"]
    assert reply["kind"] == "personal" and reply["record"]["holderKind"] == "legal"
    assert "贵单位" in reply["answer"] and "单位缴存" in reply["answer"] and reply["record"]["insuredStaff"] >= 5
    medical = (await gql(api_url, MY, {"k": "MEDICAL"}, token=token))["data"]["myRecords"]
    assert medical["regionCode"] == "510104" and medical["holderKind"] == "legal"
    history = (await gql(api_url, ASK, {"q": "我单位的社保缴费记录"}, token=token))["data"]["ask"]
    pension = (await gql(api_url, MY, {"k": "PENSION"}, token=token))["data"]["myRecords"]
    assert "单位参保" in history["answer"] and pension["entries"][0]["period"] in history["answer"]
    assert f"{pension['entries'][0]['employerPart']:,.2f}" in history["answer"]


class Slow(DemoConnector):
    async def fetch(self, *, holder: Holder, kind: RecordKind, today: date) -> PersonalRecord:
        await asyncio.sleep(5)
        return await super().fetch(holder=holder, kind=kind, today=today)


class Broken(DemoConnector):
    name = "broken"

    async def fetch(self, *, holder: Holder, kind: RecordKind, today: date) -> PersonalRecord:
        raise ConnectionResetError("the fund centre hung up")


async def test_a_failing_or_slow_connector_is_upstream_for_myrecords_and_a_polite_answer_in_ask(
    pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    username, token = await signed_in(pg_pool, settings, settings.issuer)
    principal = await verify_access_token(pool=pg_pool, settings=settings, token=token, now=datetime.now(UTC))

    async def who() -> object:
        return principal

    for connector in (Slow(), Broken()):
        lookups = PersonalLookups(pg_pool, connector, login_url="http://x/signin", timeout_s=0.2)
        with pytest.raises(Upstream) as failed:
            await lookups.fetch(principal=principal, kind="medical", client="test")
        assert failed.value.code == "UPSTREAM" and "try again later" in failed.value.message
        reply = await QaService(pg_pool, personal=lookups).ask("我的医保卡余额", who=who)  # type: ignore[arg-type]
        assert reply.kind == "unavailable" and reply.hotline == "12345" and "稍后再试" in reply.text
    trail = await list_entries(pool=pg_pool, filters=AuditFilters(username=username), offset=0, limit=10)
    reasons = sorted(e.reason for e in trail.items)
    assert reasons == sorted(["connector failed: timed out"] * 2 + ["connector failed: ConnectionResetError"] * 2)
    demo = PersonalLookups(pg_pool, DemoConnector(), login_url="http://x/signin")
    with pytest.raises(Forbidden):
        await demo.fetch(principal=BREAK_GLASS, kind="pension", client="test")
    with pytest.raises(Unauthenticated):
        await demo.fetch(principal=None, kind="pension", client="test")
    with pytest.raises(Invalid):
        await demo.fetch(principal=principal, kind="salary", client="test")


async def test_a_region_code_must_be_a_division_code(pg_pool: asyncpg.Pool) -> None:
    user_id = await accounts.create_user(
        pool=pg_pool, username=f"reg{secrets.token_hex(4)}", name="王五", password=None
    )
    for bad in ("51010", "0101010", "abcdef"):
        with pytest.raises(Invalid, match="division code"):
            await accounts.set_region(pool=pg_pool, user_id=user_id, region_code=bad)
    await accounts.set_region(pool=pg_pool, user_id=user_id, region_code="110101")
    assert await accounts.region_of(pool=pg_pool, user_id=user_id) == "110101"
