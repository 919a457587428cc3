"""Browsing the knowledge base by topic over the real API: counts, cursor pages, unknown topics and bad cursors."""

from __future__ import annotations

import json
import secrets

import asyncpg
import pytest

from core.qa.importer import import_qa
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration
TOPICS = "{ qaTopics { id name count } }"
PAGE = """query($t: String!, $n: Int!, $a: String) { qaPairs(topic: $t, first: $n, after: $a) {
  total endCursor hasNextPage items { id status } } }"""


async def counts(api_url: str) -> dict[str, int]:
    return {t["id"]: t["count"] for t in (await gql(api_url, TOPICS, token=None))["data"]["qaTopics"]}


async def test_topics_count_pairs_and_pages_walk_a_topic_without_gaps(api_url: str, pg_pool: asyncpg.Pool) -> None:
    tag = f"tp{secrets.token_hex(3)}"
    before = await counts(api_url)
    assert {"social-security", "medical", "housing", "transport", "other"} <= set(before)
    lines = [
        json.dumps(
            {"id": f"{tag}-{i}", "question": f"{tag} 线路{i}怎么走？", "answer": "请看公告。", "tags": ["交通出行"]}
        )
        for i in range(5)
    ]
    await import_qa(pool=pg_pool, lines=lines)
    after = await counts(api_url)
    assert after["transport"] == before["transport"] + 5
    assert {k: v for k, v in after.items() if k != "transport"} == {k: v for k, v in before.items() if k != "transport"}
    full = await walk(api_url, "transport", 100, pages=200)
    assert full == sorted(set(full)) and len(full) == after["transport"]
    assert {f"{tag}-{i}" for i in range(5)} <= set(full)
    small = await walk(api_url, "交通出行", 2, pages=3)  # by name, two at a time: the same order, no gaps
    assert small == full[: len(small)] and len(small) == min(6, len(full))


async def walk(api_url: str, topic: str, size: int, *, pages: int) -> list[str]:
    """The ids of up to `pages` pages of a topic, following endCursor."""
    seen: list[str] = []
    cursor = None
    for _ in range(pages):
        page = (await gql(api_url, PAGE, {"t": topic, "n": size, "a": cursor}, token=None))["data"]["qaPairs"]
        assert len(page["items"]) <= size and all(p["status"] == "active" for p in page["items"])
        seen += [p["id"] for p in page["items"]]
        if not page["hasNextPage"]:
            break
        cursor = page["endCursor"]
    return seen


async def test_bad_browse_input_has_clear_codes(api_url: str) -> None:
    unknown = await gql(api_url, PAGE, {"t": "no-such-topic", "n": 5}, token=None)
    assert unknown["data"] is None and unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "qaTopics lists them" in unknown["errors"][0]["message"]
    for variables in ({"t": "housing", "n": 0}, {"t": "housing", "n": 1000}, {"t": "housing", "n": 5, "a": "%%%"}):
        body = await gql(api_url, PAGE, variables, token=None)
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT", variables


async def test_a_cursor_continues_only_the_topic_it_came_from(api_url: str, pg_pool: asyncpg.Pool) -> None:
    """A transport page's endCursor handed to housing was read as a position among housing's pairs (skipping some)."""
    tag = f"cu{secrets.token_hex(3)}"
    rows = [{"id": f"{tag}-{i}", "question": f"{tag} 公交线路{i}？", "answer": "请看公告。"} for i in range(2)]
    await import_qa(pool=pg_pool, lines=[json.dumps(r | {"tags": ["交通出行"]}) for r in rows])
    page = (await gql(api_url, PAGE, {"t": "transport", "n": 1}, token=None))["data"]["qaPairs"]
    cursor = page["endCursor"]
    wrong = await gql(api_url, PAGE, {"t": "housing", "n": 5, "a": cursor}, token=None)
    assert wrong["data"] is None and wrong["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    said = wrong["errors"][0]["message"]
    assert "a cursor of qaPairs(topic: transport), not of qaPairs(topic: housing)" in said
    by_name = await gql(api_url, PAGE, {"t": "交通出行", "n": 1, "a": cursor}, token=None)  # the same topic, named
    assert by_name["data"]["qaPairs"]["items"][0]["id"] > page["items"][0]["id"]
