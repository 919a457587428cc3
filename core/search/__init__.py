"""Site-group search: one SearchEngine interface, an embedded tantivy engine and a Meilisearch one."""

from __future__ import annotations

from pathlib import Path

from core.errors import Invalid
from core.search.engine import RebuildHandle, SearchEngine
from core.search.models import IndexDoc, SearchHit, SearchRequest, SearchResult
from core.search.tantivy_store import DEFAULT_SHARDS
from core.settings import Settings

__all__ = [
    "IndexDoc",
    "RebuildHandle",
    "SearchEngine",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "build_engine",
    "engine_for",
]


def build_engine(
    kind: str,
    *,
    data_dir: Path,
    meilisearch_url: str | None,
    meilisearch_key: str | None,
    index_name: str = "documents",
    shards: int = DEFAULT_SHARDS,
) -> SearchEngine:
    """The engine settings name (`tantivy` or `meilisearch`), not yet opened; `shards` splits a new
    tantivy index."""
    if kind == "tantivy":
        from core.search.tantivy_engine import TantivyEngine

        return TantivyEngine(data_dir, index_name, shards=shards)
    if kind == "meilisearch":
        if not meilisearch_url:
            raise Invalid("the meilisearch search engine needs MEILISEARCH_URL")
        from core.search.meili_engine import MeiliEngine

        return MeiliEngine(meilisearch_url, meilisearch_key, index_name)
    raise Invalid(f"unknown search engine {kind!r}: use tantivy or meilisearch")


def engine_for(settings: Settings, index_name: str = "documents") -> SearchEngine:
    """The engine the settings name, with their data directory, Meilisearch address and shard count."""
    return build_engine(
        settings.search_engine,
        data_dir=settings.data_dir,
        meilisearch_url=settings.meilisearch_url,
        meilisearch_key=settings.meilisearch_key,
        index_name=index_name,
        shards=settings.search_shards,
    )
