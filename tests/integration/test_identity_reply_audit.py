"""replyLetter in the audit trail like every guarded call: who answered which letter, the department's replier
role it needed, allowed or refused, from where."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from tests.integration.graphql import gql
from tests.integration.identity_flows import Served, identity_server, quick_argon2  # noqa: F401 - fixtures
from tests.integration.roles_fixtures import audit_rows, code_of
from tests.integration.search_fixtures import make_site
from tests.integration.userspace_fixtures import person

pytestmark = pytest.mark.integration
SUBMIT = """mutation($site: ID!, $dep: String!) {
  submitLetter(site: $site, kind: "咨询", department: $dep, subject: "低保申请", body: "请问需要哪些材料？") { id } }"""
REPLY = "mutation($id: ID!, $body: String!) { replyLetter(id: $id, body: $body) { id status } }"


async def test_reply_letter_is_audited_allowed_and_refused(identity_server: Served, pg_pool: asyncpg.Pool) -> None:  # noqa: F811
    url, settings, now = identity_server.url, identity_server.settings, datetime.now(UTC)
    department = f"市民政局-{uuid.uuid4().hex[:6]}"
    writer = await person(pg_pool, settings, now, level=3)
    replier = await person(pg_pool, settings, now, replier_of=department, name="赵科长")
    elsewhere = await person(pg_pool, settings, now, replier_of="市教育局")
    submitted = await gql(url, SUBMIT, {"site": await make_site(pg_pool), "dep": department}, token=writer.token)
    assert not submitted.get("errors"), submitted
    letter_id = submitted["data"]["submitLetter"]["id"]
    answer = {"id": letter_id, "body": "请携带户口簿到街道办理。"}

    assert code_of(await gql(url, REPLY, answer, token=None)) == "UNAUTHENTICATED"
    assert code_of(await gql(url, REPLY, answer, token=elsewhere.token)) == "FORBIDDEN"
    replied = await gql(url, REPLY, answer, token=replier.token)
    assert replied["data"]["replyLetter"]["status"] == "replied", replied

    rows = [r for r in await audit_rows(pg_pool, operation="replyLetter") if letter_id in r["arguments"]]
    seen = {(r["actor"], r["username"], r["outcome"]) for r in rows}
    assert seen == {
        ("anonymous", "", "refused"),
        ("user", elsewhere.username, "refused"),
        ("user", replier.username, "allowed"),
    }
    for row in rows:
        assert row["role_needed"] == f"replier for {department}" and row["operation_type"] == "mutation"
        assert row["client"] == "127.0.0.1"
    allowed = next(r for r in rows if r["outcome"] == "allowed")
    assert allowed["user_id"] == replier.user_id and "请携带户口簿" in allowed["arguments"]
    refused = next(r for r in rows if r["username"] == elsewhere.username)
    assert "replier for " + department in refused["reason"]
