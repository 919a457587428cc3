"""Admin mutations need a signed-in admin, or the ADMIN_TOKEN break-glass while it is set; everything citizens
and frontends use needs nothing. People and their roles: tests/integration/test_roles.py."""

from __future__ import annotations

import logging
import uuid

import asyncpg
import pytest

from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration

PIN = 'mutation { pinResult(query: "社保卡", documentId: "00000000-0000-0000-0000-000000000000") { query } }'
PHRASE = f"医保卡丢了{uuid.uuid4().hex[:6]}"
SYNONYM = f'mutation {{ addSynonym(colloquial: "{PHRASE}", official: "医保卡补办") {{ source }} }}'


def refused(body: dict, code: str, says: str) -> bool:
    errors = body.get("errors") or []
    return bool(errors) and errors[0]["extensions"]["code"] == code and says in errors[0]["message"]


async def test_admin_mutations_refuse_callers_without_a_valid_token(
    api_url: str, pg_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.audit.service")
    caplog.set_level(logging.INFO, logger="schema.permissions")  # last: it sets the capturing handler's level
    assert refused(await gql(api_url, SYNONYM, token=None), "UNAUTHENTICATED", "Authorization: Bearer")
    assert refused(await gql(api_url, SYNONYM, token="someone-elses-token-12345"), "UNAUTHENTICATED", "not valid")
    crawl = await gql(api_url, 'mutation { crawlSite(site: "demo-portal") { state } }', token=None)
    assert refused(crawl, "UNAUTHENTICATED", "editor of site demo-portal")
    count = "select count(*) from search_synonyms where colloquial = $1"
    assert await pg_pool.fetchval(count, PHRASE) == 0, "nothing was written"
    added = await gql(api_url, SYNONYM)  # with the test's ADMIN_TOKEN: the break-glass admin
    assert added.get("errors") is None and added["data"]["addSynonym"]["source"] == "admin"
    removed = await gql(api_url, f'mutation {{ removeSynonym(colloquial: "{PHRASE}") }}')
    assert removed["data"]["removeSynonym"] == 1
    logged = [(r.getMessage(), getattr(r, "operation", None), r.levelno) for r in caplog.records]
    assert ("guarded call refused", "addSynonym", logging.INFO) in logged, "a refusal is logged"
    assert ("break-glass ADMIN_TOKEN used", "addSynonym", logging.WARNING) in logged
    assert ("break-glass ADMIN_TOKEN used", "removeSynonym", logging.WARNING) in logged
    trail = await pg_pool.fetch(
        "select actor, outcome from audit_trail where operation = 'addSynonym' and arguments->>'colloquial' = $1"
        " order by id",
        PHRASE,
    )
    assert [tuple(r) for r in trail] == [("anonymous", "refused"), ("anonymous", "refused"), ("break-glass", "allowed")]


async def test_reading_searching_and_clicks_need_no_token(api_url: str) -> None:
    found = await gql(api_url, '{ search(query: "社保") { searchId total hits { documentId } } }', token=None)
    assert found.get("errors") is None
    # This index may hold nothing for 社保: a click on a position the search did not serve is judged on its
    # merits (BAD_INPUT), never refused for want of a token. The whole anonymous flow, search → click →
    # analytics, is tests/integration/test_search_abuse.py::test_a_legitimate_click_reaches_analytics.
    click = "mutation($s: String!, $d: ID!) { recordClick(searchId: $s, documentId: $d, position: 1) }"
    hits = found["data"]["search"]["hits"]
    shown = hits[0]["documentId"] if hits else "00000000-0000-0000-0000-000000000000"
    ids = {"s": found["data"]["search"]["searchId"], "d": shown}
    clicked = await gql(api_url, click, ids, token=None)
    if found["data"]["search"]["total"] > 0:
        assert clicked.get("errors") is None and clicked["data"]["recordClick"] is True
    else:
        assert clicked["errors"][0]["extensions"]["code"] == "BAD_INPUT", clicked


async def test_without_an_admin_token_configured_there_is_no_break_glass(settings: Settings) -> None:
    async with serve_api(settings, admin_token=None) as url:
        body = await gql(url, PIN)  # sends the value tests use as ADMIN_TOKEN: here it is nobody's token
    assert refused(body, "UNAUTHENTICATED", "not valid"), body
