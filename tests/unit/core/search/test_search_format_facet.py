"""The `format` facet of datasets (their resources' formats): projected from the dataset document's metadata,
filtered and counted by tantivy, and asked of Meilisearch (its requests checked here, as no server runs)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.errors import Invalid
from core.search import SearchRequest
from core.search import meili_requests as mr
from core.search.merge import check_filters
from core.search.projection import to_index_doc
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.search_contract import BANK, doc, ids

TODAY = date(2026, 12, 6)

PARKING = doc("parking", "公共停车场泊位", "全市公共停车场", site="opendata", kind="dataset", format=["CSV", "GEOJSON"])
REPORT = doc("parking-report", "停车场建设年报", "停车场 年报", site="opendata", kind="dataset", format=["PDF"])


def test_a_dataset_documents_formats_are_its_format_values_upper_cased() -> None:
    row = {
        "id": "d1",
        "url": "http://x/dataset/p",
        "title": "停车场",
        "text": "",
        "site_id": "opendata",
        "kind": "dataset",
        "published_at": date(2024, 1, 1),
        "doc_no": None,
        "doc_no_norm": None,
        "issuer": None,
        "metadata": {"formats": ["CSV", "GeoJSON"], "department": "市交通运输局"},
        "column_name": None,
        "level": "市",
        "region": "",
        "department": None,
        "copies": [],
    }
    projected = to_index_doc(row)
    assert projected.format == ["CSV", "GEOJSON"] and projected.keyword_values("format") == ["CSV", "GEOJSON"]
    assert to_index_doc({**row, "metadata": {}}).format == []


def test_format_filters_are_known_and_matched_in_any_case() -> None:
    assert check_filters({"format": [" csv ", "GeoJSON"]}, today=TODAY) == {"format": ["CSV", "GEOJSON"]}
    with pytest.raises(Invalid, match="unknown filter 'formats'"):
        check_filters({"formats": ["CSV"]}, today=TODAY)
    SearchRequest(filters={"format": ["CSV"]}, facets=["format"]).validate()


def test_meilisearch_is_asked_to_filter_and_facet_by_format() -> None:
    assert "format" in mr.index_settings()["filterableAttributes"]
    assert mr.to_document(PARKING)["format"] == ["CSV", "GEOJSON"] and mr.to_document(BANK)["format"] == []
    params = mr.search_params(SearchRequest(query="停车场", filters={"format": ["CSV", "PDF"]}, facets=["format"]))
    assert params["filter"] == ['format IN ["CSV", "PDF"]'] and params["facets"] == ["format"]
    answer = {"facetDistribution": {"format": {"CSV": 1, "GEOJSON": 1}}}
    assert mr.to_facets(answer, ["format"]) == {"format": [("CSV", 1), ("GEOJSON", 1)]}


async def test_tantivy_filters_and_counts_formats(tmp_path: Path) -> None:
    engine = TantivyEngine(tmp_path, writer_heap_bytes=15_000_000)
    await engine.open()
    try:
        await engine.upsert([PARKING, REPORT, BANK])
        csv = await engine.search(SearchRequest(query="停车场", filters={"format": ["CSV"]}, facets=["format"]))
        assert ids(csv) == [PARKING.id] and csv.facets["format"] == [("CSV", 1), ("GEOJSON", 1)]
        every = await engine.search(SearchRequest(query="", facets=["format"], limit=0))
        assert every.total == 3 and dict(every.facets["format"]) == {"CSV": 1, "GEOJSON": 1, "PDF": 1}
        assert (await engine.search(SearchRequest(query="停车场", filters={"format": ["SHP"]}))).total == 0
    finally:
        await engine.close()
