"""Checks the requests the Meilisearch adapter builds and how it reads answers, because no server runs here.

The same behaviour is checked against a live server by tests/integration/test_search_meilisearch_contract.py
wherever MEILISEARCH_URL is set; here a recording stand-in replaces the official client.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from meilisearch.errors import MeilisearchApiError

from core.errors import Upstream
from core.search import SearchRequest, build_engine
from core.search import meili_engine as engine_module
from core.search import meili_requests as mr
from core.search.meili_engine import MeiliEngine
from core.search.models import Copy
from tests.unit.core.search.search_contract import BANK, NOTICE

# Shaped like the search response documented at https://www.meilisearch.com/docs/reference/api/search
SAMPLE_RESPONSE: dict[str, Any] = {
    "hits": [
        {
            "id": BANK.id,
            "url": BANK.url,
            "title": "中国农业发展银行支持春耕备耕",
            "site": "portal",
            "kind": "news",
            "published_at": "2021-03-05",
            "doc_no": "",
            "issuer": "市农业农村局",
            "_formatted": {"title": "中国农业发展银行支持春耕备耕", "text": "…中国农业发展银行累计投放<b>120亿元</b>…"},
            "_rankingScore": 0.875,
        }
    ],
    "query": "农业",
    "processingTimeMs": 2,
    "hitsPerPage": 10,
    "page": 1,
    "totalPages": 1,
    "totalHits": 1,
    "facetDistribution": {"site": {"portal": 1, "county": 2}, "year": {"2021": 1}},
    "facetStats": {},
}


def test_settings_declare_what_requests_use() -> None:
    settings = mr.index_settings(dictionary=["一网通办"], synonyms={"社保": ["社会保险"]})
    assert set(settings["filterableAttributes"]) >= {"site", "year", "audience", "id", "published_ts", "title_words"}
    assert settings["sortableAttributes"] == ["published_ts"]
    assert settings["rankingRules"][0] == "sort"
    assert settings["searchableAttributes"].index("title") < settings["searchableAttributes"].index("text")
    assert {"title_terms", "text_terms"} <= set(settings["searchableAttributes"])
    assert settings["localizedAttributes"][0]["locales"] == ["zho"]
    assert settings["dictionary"] == ["一网通办"] and settings["synonyms"] == {"社保": ["社会保险"]}
    json.dumps(settings)


def test_documents_carry_pre_analysed_terms() -> None:
    payload = mr.to_document(NOTICE)
    assert payload["id"] == NOTICE.id and payload["site"] == "portal" and payload["year"] == "2021"
    assert payload["audience"] == ["公众"] and payload["published_ts"] == 1622505600
    assert "政务" in payload["title_terms"].split() and "政务" in payload["title_words"]
    assert mr.to_document(BANK)["doc_no"] == ""
    json.dumps(payload)


def test_a_canonical_document_carries_its_copies_for_display_only() -> None:
    copy = Copy(url="https://county.example.gov.cn/zcwj/9.html", site="county")
    payload = mr.to_document(replace(NOTICE, copies=[copy]))
    assert payload["copies"] == [{"url": copy.url, "site": "county"}] and mr.to_document(BANK)["copies"] == []
    settings = mr.index_settings()
    assert "copies" in settings["displayedAttributes"] and "copies" not in settings["searchableAttributes"]
    assert "copies" in mr.search_params(SearchRequest(query="政务"))["attributesToRetrieve"]
    hit = mr.to_hit({"id": NOTICE.id, "title": NOTICE.title, "copies": payload["copies"]}, SearchRequest())
    assert hit.copies == (copy,)
    assert mr.to_hit(SAMPLE_RESPONSE["hits"][0], SearchRequest()).copies == ()


def test_filters_quote_and_escape_user_values() -> None:
    req = SearchRequest(
        filters={"site": ['a" OR site = "b', "c\\"], "year": ["2021"], "kind": []},
        published_after=date(2021, 1, 1),
        published_before=date(2021, 12, 31),
        doc_no='x"y',
    )
    assert mr.build_filter(req) == [
        'site IN ["a\\" OR site = \\"b", "c\\\\"]',
        'year IN ["2021"]',
        "published_ts >= 1609459200",
        "published_ts <= 1640908800",
        'doc_no_normalized = "x\\"y"',
    ]


def test_a_search_of_some_documents_filters_on_their_ids() -> None:
    # how a search asks which of its pinned documents the query matches
    assert mr.build_filter(SearchRequest(ids=["d-1", 'd"2'])) == ['id IN ["d-1", "d\\"2"]']


def test_title_terms_become_title_word_filters() -> None:
    clauses = mr.build_filter(SearchRequest(title_terms=["推广站"]))
    assert clauses and all(c.startswith('title_words = "') for c in clauses)
    assert 'title_words = "推广站"' in clauses or 'title_words = "推广"' in clauses


def test_query_operators_in_user_text_are_neutralised() -> None:
    req = SearchRequest(query='"农业 -银行 AND', must_phrases=['农业"发展'], exclude_terms=["-银行"])
    assert mr.build_query(req) == '农业 银行 and "农业 发展" -"银行"'
    assert mr.build_query(SearchRequest(query="x" * 5000)) == "x" * 1000


def test_paging_asks_for_exact_totals_when_it_can() -> None:
    paged = mr.search_params(SearchRequest(offset=20, limit=10))
    assert paged["page"] == 3 and paged["hitsPerPage"] == 10 and "offset" not in paged
    odd = mr.search_params(SearchRequest(offset=5, limit=10))
    assert odd["offset"] == 5 and odd["limit"] == 10 and "page" not in odd
    assert mr.search_params(SearchRequest(limit=0))["hitsPerPage"] == 0


def test_sort_facets_and_snippet_parameters() -> None:
    params = mr.search_params(SearchRequest(sort="date_asc", facets=["site"], filters={"site": ["a"]}))
    assert params["sort"] == ["published_ts:asc"]
    assert params["facets"] == ["site"] and params["filter"] == ['site IN ["a"]']
    assert params["attributesToCrop"] == ["text"] and "text" not in params["attributesToRetrieve"]
    assert "sort" not in mr.search_params(SearchRequest())
    assert mr.search_params(SearchRequest())["matchingStrategy"] == "all"
    assert mr.search_params(SearchRequest(), relaxed=True)["matchingStrategy"] == "last"


def test_hits_map_to_the_common_result() -> None:
    req = SearchRequest(query="农业", facets=["site", "year"])
    hit = mr.to_hit(SAMPLE_RESPONSE["hits"][0], req)
    assert hit.id == BANK.id and hit.score == 0.875 and hit.published_at == date(2021, 3, 5)
    assert hit.title_highlighted == "中国<em>农业</em>发展银行支持春耕备耕"
    assert "&lt;b&gt;" in hit.snippet and "<em>农业</em>" in hit.snippet
    assert mr.to_facets(SAMPLE_RESPONSE, req.facets) == {"site": [("county", 2), ("portal", 1)], "year": [("2021", 1)]}
    assert mr.total_hits(SAMPLE_RESPONSE) == 1
    assert mr.total_hits({"estimatedTotalHits": 7}) == 7


class FakeIndex:
    def __init__(self, client: FakeClient, uid: str) -> None:
        self.client, self.uid = client, uid

    def _task(self, *call: Any) -> SimpleNamespace:
        self.client.calls.append((self.uid, *call))
        return SimpleNamespace(task_uid=len(self.client.calls))

    def update_settings(self, settings: dict[str, Any]) -> SimpleNamespace:
        return self._task("update_settings", settings)

    def add_documents(self, docs: list[dict[str, Any]], primary_key: str) -> SimpleNamespace:
        return self._task("add_documents", docs, primary_key)

    def delete_documents(self, *, filter: str) -> SimpleNamespace:
        return self._task("delete_documents", filter)

    def search(self, q: str, params: dict[str, Any]) -> dict[str, Any]:
        self.client.calls.append((self.uid, "search", q, params))
        return SAMPLE_RESPONSE


class FakeClient:
    """Records what the adapter asks of meilisearch.Client; answers like a fresh server."""

    def __init__(self, url: str, api_key: str | None, timeout: int) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def index(self, uid: str) -> FakeIndex:
        return FakeIndex(self, uid)

    def get_raw_index(self, uid: str) -> dict[str, Any]:
        body = json.dumps({"code": "index_not_found", "message": f"Index `{uid}` not found."})
        raise MeilisearchApiError("not found", SimpleNamespace(status_code=404, text=body))  # type: ignore[arg-type]

    def create_index(self, uid: str, options: dict[str, Any]) -> SimpleNamespace:
        return self.index(uid)._task("create_index", options)

    def swap_indexes(self, pairs: list[dict[str, Any]]) -> SimpleNamespace:
        return self.index("*")._task("swap_indexes", pairs)

    def delete_index(self, uid: str) -> SimpleNamespace:
        return self.index(uid)._task("delete_index")

    def wait_for_task(self, uid: int, timeout_in_ms: int) -> SimpleNamespace:
        return SimpleNamespace(uid=uid, status="succeeded", error=None)


async def test_the_engine_sends_the_built_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module.meilisearch, "Client", FakeClient)
    engine = build_engine("meilisearch", data_dir=None, meilisearch_url="http://127.0.0.1:7700", meilisearch_key="k")  # type: ignore[arg-type]
    assert isinstance(engine, MeiliEngine)
    await engine.open()
    client: FakeClient = engine.client  # type: ignore[assignment]
    assert [c[1] for c in client.calls] == ["create_index", "update_settings"]
    await engine.upsert([BANK])
    await engine.delete([BANK.id, 'x"'])
    result = await engine.search(SearchRequest(query="农业", facets=["site"]))
    assert result.total == 1 and result.hits[0].id == BANK.id and result.facets["site"][0] == ("county", 2)
    rebuild = await engine.begin_rebuild()
    await rebuild.upsert([NOTICE])
    await rebuild.commit_and_swap()
    kinds = [c[1] for c in client.calls]
    assert kinds[2:] == [
        "add_documents",
        "delete_documents",
        "search",
        "create_index",
        "update_settings",
        "add_documents",
        "swap_indexes",
        "delete_index",
    ]
    assert client.calls[3][2] == f'id IN ["{BANK.id}", "x\\""]'
    new_uid = client.calls[6][0]
    assert client.calls[8][2] == [{"indexes": ["documents", new_uid]}] and client.calls[9][0] == new_uid
    await engine.close()
    with pytest.raises(Upstream):
        await engine.count()


def test_an_any_term_variant_lets_meilisearch_drop_frequent_words() -> None:
    assert mr.search_params(SearchRequest(query="积分入户 常见问题"))["matchingStrategy"] == "all"
    assert mr.search_params(SearchRequest(query="积分入户 常见问题"), relaxed=True)["matchingStrategy"] == "last"
    any_term = SearchRequest(query="积分入户 常见问题", any_term=True)
    assert mr.search_params(any_term)["matchingStrategy"] == "frequency"
