"""The importer waits on the consumer core.search names as its projector (it cannot import core.search)."""

from __future__ import annotations

from core.documents import importer
from core.search import freshness


def test_the_importer_waits_for_the_search_projector() -> None:
    assert importer.SEARCH_PROJECTOR == freshness.PROJECTOR
    assert importer.SEARCH_STREAM == freshness.PROJECTOR_STREAM
