"""Roles through GraphQL with real access tokens: who may call which admin mutation, and the audit trail of it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from core.errors import Invalid, NotFound, Unauthenticated
from core.identity import roles
from core.identity.principal import Principal, Role
from core.settings import Settings
from schema.permissions import IsAdmin
from tests.integration.graphql import ADMIN_TOKEN, gql
from tests.integration.roles_fixtures import SITE_A, SITE_B, RolesWorld, audit_rows, code_of, open_world, person

pytestmark = pytest.mark.integration

CRAWL = "mutation($s: ID!) { crawlSite(site: $s) { siteId state } }"


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[RolesWorld]:
    async with open_world(settings, pg_pool) as opened:
        yield opened


def add_synonym(phrase: str) -> str:
    return f'mutation {{ addSynonym(colloquial: "{phrase}", official: "医保卡补办") {{ source }} }}'


async def test_an_editor_acts_on_their_own_site_and_is_refused_on_another(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    own = await gql(world.url, CRAWL, {"s": SITE_A}, token=world.editor.token)
    assert code_of(own) is None and own["data"]["crawlSite"]["siteId"] == SITE_A, own
    other = await gql(world.url, CRAWL, {"s": SITE_B}, token=world.editor.token)
    assert code_of(other) == "FORBIDDEN", other
    assert f"needs the role editor of site {SITE_B}" in other["errors"][0]["message"]
    assert await pg_pool.fetchval("select count(*) from crawls where site_id = $1", SITE_B) == 0, "nothing queued"
    group = await gql(world.url, add_synonym(f"编辑{uuid.uuid4().hex[:6]}"), token=world.editor.token)
    assert code_of(group) == "FORBIDDEN" and "needs the role admin" in group["errors"][0]["message"]
    rows = await audit_rows(pg_pool, username=world.editor.username, operation="crawlSite")
    assert [(r["site_id"], r["outcome"]) for r in rows[:2]] == [(SITE_B, "refused"), (SITE_A, "allowed")]
    assert rows[0]["user_id"] == world.editor.user_id and rows[0]["role_needed"] == f"editor of site {SITE_B}"
    assert rows[0]["client"] == "127.0.0.1" and rows[0]["request_id"], "from where, and which request"


async def test_a_replier_or_a_person_without_a_role_is_refused_admin_mutations(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    phrase = f"答复{uuid.uuid4().hex[:6]}"
    for who in (world.replier, world.nobody):
        body = await gql(world.url, add_synonym(phrase), token=who.token)
        assert code_of(body) == "FORBIDDEN", body
        assert body["errors"][0]["message"] == f"addSynonym needs the role admin, which {who.username} does not hold"
        crawl = await gql(world.url, CRAWL, {"s": SITE_A}, token=who.token)
        assert code_of(crawl) == "FORBIDDEN", crawl
        refused = await audit_rows(pg_pool, username=who.username, outcome="refused")
        assert {r["operation"] for r in refused} == {"addSynonym", "crawlSite"}
    assert await pg_pool.fetchval("select count(*) from search_synonyms where colloquial = $1", phrase) == 0


async def test_anonymous_and_invalid_tokens_are_unauthenticated_and_audited(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    phrase = f"匿名{uuid.uuid4().hex[:6]}"
    anonymous = await gql(world.url, add_synonym(phrase), token=None)
    assert code_of(anonymous) == "UNAUTHENTICATED", anonymous
    assert "addSynonym needs the role admin: sign in" in anonymous["errors"][0]["message"]
    forged = await gql(world.url, add_synonym(phrase), token=world.admin.token[:-4] + "AAAA")
    assert code_of(forged) == "UNAUTHENTICATED", forged
    rows = [r for r in await audit_rows(pg_pool, actor="anonymous") if r["arguments"] and phrase in r["arguments"]]
    assert len(rows) == 2 and {r["outcome"] for r in rows} == {"refused"}
    assert all(r["username"] == "" and r["user_id"] is None for r in rows)
    assert await pg_pool.fetchval("select count(*) from search_synonyms where colloquial = $1", phrase) == 0


async def test_an_admin_may_do_everything_and_their_name_is_on_what_they_made(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    phrase = f"管理{uuid.uuid4().hex[:6]}"
    added = await gql(world.url, add_synonym(phrase), token=world.admin.token)
    assert code_of(added) is None and added["data"]["addSynonym"]["source"] == "admin", added
    by = await pg_pool.fetchval("select created_by from search_synonyms where colloquial = $1", phrase)
    assert by == world.admin.username
    blocked = await gql(world.url, f'mutation {{ blockSuggestion(query: "{phrase}") }}', token=world.admin.token)
    assert blocked["data"]["blockSuggestion"] is True, blocked
    who = await pg_pool.fetchval("select blocked_by from search_suggestion_blocks where query = $1", phrase)
    assert who == world.admin.username
    crawl = await gql(world.url, CRAWL, {"s": SITE_B}, token=world.admin.token)
    assert code_of(crawl) is None, "an admin is editor of every site"
    rows = await audit_rows(pg_pool, username=world.admin.username, outcome="allowed")
    assert {"addSynonym", "blockSuggestion", "crawlSite"} <= {r["operation"] for r in rows}
    assert all(r["actor"] == "user" for r in rows)


async def test_a_synonym_removed_and_added_again_carries_the_name_of_who_added_it_again(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    phrase = f"再加{uuid.uuid4().hex[:6]}"
    assert code_of(await gql(world.url, add_synonym(phrase), token=world.admin.token)) is None
    removed = await gql(world.url, f'mutation {{ removeSynonym(colloquial: "{phrase}") }}', token=world.admin.token)
    assert removed["data"]["removeSynonym"] == 1, removed
    again = await gql(world.url, add_synonym(phrase), token=ADMIN_TOKEN)
    assert code_of(again) is None, again
    row = await pg_pool.fetchrow("select created_by, removed from search_synonyms where colloquial = $1", phrase)
    assert (row["created_by"], row["removed"]) == ("break-glass", False), "who made the rewrite now in force"


async def test_a_bundled_synonym_removed_and_added_again_is_listed_as_the_offices_with_who_added_it(
    world: RolesWorld,
) -> None:
    pair = '(colloquial: "临时身份证", official: "临时居民身份证")'
    listing = '{ synonyms(contains: "临时身份证") { items { colloquial official source addedBy } } }'

    async def listed(token: str | None) -> list[dict[str, Any]]:
        out = await gql(world.url, listing, token=token)
        return [i for i in out["data"]["synonyms"]["items"] if i["colloquial"] == "临时身份证"]

    assert await listed(None) == [
        {"colloquial": "临时身份证", "official": "临时居民身份证", "source": "bundled", "addedBy": None}
    ]
    removed = await gql(world.url, f"mutation {{ removeSynonym{pair} }}", token=world.admin.token)
    assert removed["data"]["removeSynonym"] == 1, removed
    assert await listed(world.admin.token) == []
    again = await gql(world.url, f"mutation {{ addSynonym{pair} {{ source addedBy }} }}", token=world.admin.token)
    assert again["data"]["addSynonym"] == {"source": "admin", "addedBy": world.admin.username}, again
    office = {"colloquial": "临时身份证", "official": "临时居民身份证", "source": "admin"}
    assert await listed(world.admin.token) == [{**office, "addedBy": world.admin.username}]
    assert await listed(None) == [{**office, "addedBy": None}], "who added it is for the web office only"


async def test_the_break_glass_token_works_and_every_use_is_audited_and_logged(
    world: RolesWorld, pg_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.audit.service")
    phrase = f"应急{uuid.uuid4().hex[:6]}"
    added = await gql(world.url, add_synonym(phrase), token=ADMIN_TOKEN)
    assert code_of(added) is None, added
    assert await pg_pool.fetchval("select created_by from search_synonyms where colloquial = $1", phrase) == (
        "break-glass"
    )
    row = next(r for r in await audit_rows(pg_pool, actor="break-glass") if phrase in r["arguments"])
    assert row["operation"] == "addSynonym" and row["outcome"] == "allowed" and row["user_id"] is None
    warned = [r for r in caplog.records if r.getMessage() == "break-glass ADMIN_TOKEN used"]
    assert any(getattr(r, "audit_id", None) == row["id"] for r in warned)
    assert all(r.levelno == logging.WARNING for r in warned)


async def test_the_audit_trail_is_for_admins_filtered_and_paginated(world: RolesWorld) -> None:
    query = """query($f: AuditFilters, $p: Int!) { auditTrail(filters: $f, page: $p, pageSize: 1) {
        total page items { actor username operation outcome siteId roleNeeded reason client requestId arguments } } }"""
    await gql(world.url, CRAWL, {"s": SITE_B}, token=world.editor.token)  # refused: one more row at least
    mine = {"username": world.editor.username, "outcome": "refused"}
    found = await gql(world.url, query, {"f": mine, "p": 1}, token=world.admin.token)
    assert code_of(found) is None, found
    page = found["data"]["auditTrail"]
    assert page["total"] >= 1 and len(page["items"]) == 1
    item = page["items"][0]
    assert item["username"] == world.editor.username and item["outcome"] == "refused" and item["siteId"] == SITE_B
    assert item["operation"] == "crawlSite" and item["arguments"] == {"site": SITE_B, "full": False}
    assert "needs the role editor of site" in item["reason"] and item["client"] == "127.0.0.1"
    for who in (world.editor, world.replier):
        refused = await gql(world.url, query, {"f": None, "p": 1}, token=who.token)
        assert code_of(refused) == "FORBIDDEN", refused
    anonymous = await gql(world.url, query, {"f": None, "p": 1}, token=None)
    assert code_of(anonymous) == "UNAUTHENTICATED"
    bad = await gql(world.url, query, {"f": {"outcome": "maybe"}, "p": 1}, token=world.admin.token)
    assert code_of(bad) == "BAD_INPUT" and "outcome must be one of allowed, refused" in bad["errors"][0]["message"]
    deep = await gql(world.url, query, {"f": None, "p": 0}, token=world.admin.token)
    assert code_of(deep) == "BAD_INPUT"


class _Caller:
    """The part of a request's context the permission layer reads, over a pool that is already closed."""

    def __init__(self, pool: asyncpg.Pool, principal: Principal | None) -> None:
        self.pool, self.client, self._principal = pool, "192.0.2.7", principal

    async def principal(self) -> Principal | None:
        return self._principal


async def test_no_row_no_call_but_a_refusal_is_answered_even_without_its_row(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    closed = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
    await closed.close()  # the trail cannot be written
    admin = Principal(user_id=uuid.uuid4(), username="admin-x", name="x", roles=(Role(name="admin"),))

    def info(principal: Principal | None) -> Any:
        operation = SimpleNamespace(operation=SimpleNamespace(value="mutation"))
        return SimpleNamespace(field_name="addSynonym", operation=operation, context=_Caller(closed, principal))

    with pytest.raises(Unauthenticated):
        await IsAdmin().has_permission(None, info(None), colloquial="x")
    assert "audit trail not written for a refused call" in caplog.text
    with pytest.raises(asyncpg.InterfaceError):
        await IsAdmin().has_permission(None, info(admin), colloquial="x")


async def test_a_revoked_role_counts_from_the_next_request(world: RolesWorld, pg_pool: asyncpg.Pool) -> None:
    editor = await person(pg_pool, world.settings, "r-revoked", role="editor", site_id=SITE_A)
    assert code_of(await gql(world.url, CRAWL, {"s": SITE_A}, token=editor.token)) is None
    assert await roles.revoke_role(pool=pg_pool, user_id=editor.user_id, role="editor", site_id=SITE_A)
    again = await gql(world.url, CRAWL, {"s": SITE_A}, token=editor.token)  # the same, still unexpired token
    assert code_of(again) == "FORBIDDEN", again


async def test_grants_are_checked_and_idempotent(world: RolesWorld, pg_pool: asyncpg.Pool) -> None:
    user_id = world.nobody.user_id
    with pytest.raises(NotFound, match="no site with id 'no-such-site'"):
        await roles.grant_role(pool=pg_pool, user_id=user_id, role="editor", site_id="no-such-site")
    with pytest.raises(NotFound, match="no user with id"):
        await roles.grant_role(pool=pg_pool, user_id=uuid.uuid4(), role="admin")
    with pytest.raises(Invalid, match="an editor edits one site"):
        await roles.grant_role(pool=pg_pool, user_id=user_id, role="editor")
    with pytest.raises(NotFound, match="no user named"):
        await roles.user_id_of(pool=pg_pool, username="no-such-person")
    granted = [
        await roles.grant_role(pool=pg_pool, user_id=user_id, role="replier", department=" 市教育局 ", granted_by="t")
        for _ in range(2)
    ]
    assert granted == [True, False], "a second grant of the same role changes nothing"
    held = await roles.list_roles(pool=pg_pool, user_id=user_id)
    assert [(g.username, g.role, g.granted_by) for g in held] == [
        (world.nobody.username, Role(name="replier", department="市教育局"), "t")
    ]
    assert await roles.revoke_role(pool=pg_pool, user_id=user_id, role="replier", department="市教育局")
    assert not await roles.revoke_role(pool=pg_pool, user_id=user_id, role="replier", department="市教育局")
    assert await roles.roles_of(pg_pool, user_id) == ()
