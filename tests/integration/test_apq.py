"""Automatic persisted queries (Apollo's protocol) and cached GET answers over real HTTP: register, hash alone
by GET, ETag and 304, never cached for mutations, bearer tokens or per-request answers; bad input refused;
a stored query still held to the limits; the store bounded."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.apq import PersistedQueries
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import ADMIN_TOKEN

pytestmark = pytest.mark.integration
SITES = "query Sites { sites { id name } }"


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings, max_query_depth=2, max_page_size=50, apq_cache_size=3) as url:
        yield url


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}


async def register(http: httpx.AsyncClient, api: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = {"query": query, "variables": variables or {}, "extensions": persisted(query)}
    r = await http.post(f"{api}/graphql", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def by_hash(
    http: httpx.AsyncClient, api: str, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    params = {"extensions": json.dumps(persisted(query)), "variables": json.dumps(variables or {})}
    return await http.get(f"{api}/graphql", params=params, headers={"Accept": "*/*", **headers})


async def test_a_query_sent_once_then_by_hash_alone_over_get(api: str) -> None:
    query = SITES + " # once"
    async with httpx.AsyncClient() as http:
        missing = await by_hash(http, api, query)
        assert missing.status_code == 200
        error = missing.json()["errors"][0]
        assert error["message"] == "PersistedQueryNotFound"
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert missing.headers["cache-control"] == "no-store", "a miss is not cached"
        registered = await register(http, api, query)
        assert "errors" not in registered
        found = await by_hash(http, api, query)
    assert found.status_code == 200 and found.headers["content-type"].startswith("application/json")
    assert found.json() == registered, "the hash alone runs the stored query (not GraphiQL, despite Accept */*)"


async def test_public_get_answers_carry_etag_and_cache_control_and_revalidate_with_304(api: str) -> None:
    query = SITES + " # etag"
    async with httpx.AsyncClient() as http:
        await register(http, api, query)
        first = await by_hash(http, api, query)
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "public, max-age=60"
        assert {"Authorization", "Origin"} <= {v.strip() for v in first.headers["vary"].split(",")}
        same = await by_hash(http, api, query, **{"If-None-Match": tag})
        weak = await by_hash(http, api, query, **{"If-None-Match": f'"other", W/{tag}'})
        stale = await by_hash(http, api, query, **{"If-None-Match": '"0000"'})
        full = await http.get(f"{api}/graphql", params={"query": query})
    assert tag.startswith('"') and len(tag) == 34
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
    assert weak.status_code == 304
    assert stale.status_code == 200 and stale.json() == first.json()
    assert full.headers["etag"] == tag, "a GET with the query in full is the same answer"


async def test_no_caching_for_bearer_tokens_mutations_errors_or_per_request_answers(api: str) -> None:
    async with httpx.AsyncClient() as http:
        signed = await http.get(
            f"{api}/graphql", params={"query": SITES}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        mutation = await http.get(f"{api}/graphql", params={"query": 'mutation { crawlSite(site: "x") { id } }'})
        posted = await http.post(f"{api}/graphql", json={"query": SITES})
        failed = await http.get(f"{api}/graphql", params={"query": '{ site(id: "no-such-site") { id } }'})
        search = await http.get(f"{api}/graphql", params={"query": '{ search(query: "社保") { total } }'})
    assert signed.status_code == 200 and "errors" not in signed.json()
    for answer in (signed, failed, search):
        assert "etag" not in answer.headers and answer.headers["cache-control"] == "no-store", answer.text
    assert mutation.status_code in (400, 405) and "etag" not in mutation.headers
    assert "etag" not in posted.headers and "cache-control" not in posted.headers, "POST answers are not cached"
    assert failed.json()["errors"]


async def test_a_hash_that_is_not_the_querys_is_refused(api: str) -> None:
    body = {"query": SITES, "extensions": persisted(SITES + " something else")}
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{api}/graphql", json=body)
        after = await by_hash(http, api, SITES + " something else")
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "provided sha does not match query" in r.json()["errors"][0]["message"]
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", "nothing stored"


@pytest.mark.parametrize(
    ("extension", "says"),
    [
        ({"persistedQuery": "abc"}, "must be an object"),
        ({"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}}, "only version 1"),
        ({"persistedQuery": {"version": 1}}, "64 lower-case hex digits"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}, "64 lower-case hex digits"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "A" * 64}}, "64 lower-case hex digits"),
    ],
)
async def test_a_malformed_persisted_query_extension_is_refused(api: str, extension: Any, says: str) -> None:
    async with httpx.AsyncClient() as http:
        posted = await http.post(f"{api}/graphql", json={"extensions": extension})
        got = await http.get(f"{api}/graphql", params={"extensions": json.dumps(extension)})
    for r in (posted, got):
        assert r.status_code == 400, r.text
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_INPUT" and says in error["message"]


async def test_extensions_that_are_not_json_are_a_clear_400(api: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{api}/graphql", params={"extensions": "{persistedQuery:"})
    assert r.status_code == 400 and "JSON" in r.text


async def test_a_stored_query_is_held_to_the_limits_on_every_run(api: str) -> None:
    deep = "{ documents { items { site { id } } } }"  # deeper than MAX_QUERY_DEPTH=2
    paged = "query Page($n: Int!) { documents(pageSize: $n) { total } }"
    async with httpx.AsyncClient() as http:
        refused = await register(http, api, deep)
        not_stored = await by_hash(http, api, deep)
        fine = await register(http, api, paged, {"n": 5})
        too_big = await by_hash(http, api, paged, {"n": 5000})
        small = await by_hash(http, api, paged, {"n": 2})
    assert "exceeds maximum operation depth" in refused["errors"][0]["message"]
    assert not_stored.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", "a refused query"
    assert "errors" not in fine
    assert too_big.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT", too_big.text  # MAX_PAGE_SIZE=50
    assert "etag" not in too_big.headers
    assert "errors" not in small.json()


async def test_the_store_keeps_the_most_recently_used_queries_only(api: str) -> None:
    queries = [f"{{ sites {{ id }} }} # lru {i}" for i in range(4)]  # APQ_CACHE_SIZE=3
    async with httpx.AsyncClient() as http:
        for q in queries[:3]:
            await register(http, api, q)
        await by_hash(http, api, queries[0])  # used again: the oldest is now queries[1]
        await register(http, api, queries[3])
        codes = [(await by_hash(http, api, q)).json().get("errors") for q in queries]
    assert codes[1] and codes[1][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert codes[0] is None and codes[2] is None and codes[3] is None


def test_the_store_is_bounded_in_bytes_too() -> None:
    store = PersistedQueries(max_entries=100, max_bytes=1024)
    assert not store.put("a" * 64, "x" * 2000), "a query larger than the whole budget is not kept"
    for i in range(5):
        assert store.put(f"{i:064d}", "q" * 300)
    assert len(store) == 3 and store.size_bytes == 900
    assert store.get(f"{0:064d}") is None and store.get(f"{4:064d}") is not None
