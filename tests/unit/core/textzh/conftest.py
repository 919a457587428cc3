"""Fixtures for core.textzh tests: a vocabulary built the way the index builds one, from real service guides."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.textzh.analyzer import get_analyzer
from core.textzh.lexicon import gov_terms


@pytest.fixture(scope="session")
def guide_titles(corpus: Path) -> list[str]:
    """The 2,192 service-guide (事项) titles of the Guangdong corpus."""
    text = (corpus / "guangdong-service-guides-clarencekong" / "dict" / "matter.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def guide_vocabulary(corpus: Path) -> Counter[str]:
    """Index-term frequencies of guide titles and material lists, plus the government dictionary."""
    analyzer = get_analyzer()
    counts: Counter[str] = Counter()
    path = corpus / "guangdong-service-guides-clarencekong" / "service_guides.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        counts.update(analyzer.index_terms(record["TASK_NAME"] + " " + " ".join(record.get("material_intro") or [])))
    for term in gov_terms():
        counts.update(analyzer.index_terms(term))
    return counts
