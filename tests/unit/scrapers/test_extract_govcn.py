"""Accuracy on the 60 gov.cn State Council policy pages: each metadata field must be right on ≥ 98% of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scrapers.extract import Extracted, extract

EXPECTED = json.loads((Path(__file__).parent / "expected_govcn_policy_pages.json").read_text(encoding="utf-8"))
GOAL = 0.98
FIELDS = ("title", "doc_no", "issuer", "written_date", "published_date", "theme", "index_no")


def _got(page: Extracted, field: str) -> str | None:
    value = {
        "title": page.title,
        "doc_no": page.meta.doc_no,
        "issuer": page.meta.issuer,
        "written_date": page.meta.written_date,
        "published_date": page.published_at,
        "theme": page.meta.theme,
        "index_no": page.meta.index_no,
    }[field]
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.fixture(scope="module")
def pages(corpus: Path) -> dict[str, Extracted]:
    root = corpus / "govcn-policy-pages-zhouynf"
    records = [json.loads(line) for line in (root / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    return {
        Path(r["html_file"]).name: extract((root / r["html_file"]).read_text(encoding="utf-8"), r["crawl_url"])
        for r in records
    }


@pytest.mark.corpus
@pytest.mark.parametrize("field", FIELDS)
def test_field_accuracy(pages: dict[str, Extracted], field: str) -> None:
    misses = {name: (_got(pages[name], field), want[field]) for name, want in EXPECTED.items()}
    misses = {name: pair for name, pair in misses.items() if pair[0] != pair[1]}
    accuracy = 1 - len(misses) / len(EXPECTED)
    assert accuracy >= GOAL, f"{field}: {accuracy:.1%} exact, misses (got, want): {misses}"


@pytest.mark.corpus
def test_policy_pages_are_policies_with_a_normalised_doc_no_and_clean_body(pages: dict[str, Extracted]) -> None:
    assert len(pages) == len(EXPECTED) == 60
    for name, page in pages.items():
        assert page.kind == "policy", name
        assert page.meta.doc_no_normalized == EXPECTED[name]["doc_no"], name
        assert "索 引 号" not in page.text and "主题分类" not in page.text, name
        assert len(page.text) > 100, name
