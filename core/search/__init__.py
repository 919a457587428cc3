"""Site-group search: one SearchEngine interface, an embedded tantivy engine and a Meilisearch one."""

from __future__ import annotations

from pathlib import Path

from core.errors import Invalid
from core.search.engine import RebuildHandle, SearchEngine
from core.search.models import IndexDoc, SearchHit, SearchRequest, SearchResult

__all__ = [
    "IndexDoc",
    "RebuildHandle",
    "SearchEngine",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "build_engine",
]


def build_engine(
    kind: str,
    *,
    data_dir: Path,
    meilisearch_url: str | None,
    meilisearch_key: str | None,
    index_name: str = "documents",
) -> SearchEngine:
    """The engine settings name (`tantivy` or `meilisearch`), not yet opened."""
    if kind == "tantivy":
        from core.search.tantivy_engine import TantivyEngine

        return TantivyEngine(data_dir, index_name)
    if kind == "meilisearch":
        if not meilisearch_url:
            raise Invalid("the meilisearch search engine needs MEILISEARCH_URL")
        from core.search.meili_engine import MeiliEngine

        return MeiliEngine(meilisearch_url, meilisearch_key, index_name)
    raise Invalid(f"unknown search engine {kind!r}: use tantivy or meilisearch")
