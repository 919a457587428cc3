"""The one interface every search engine implements, so callers never know which engine runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.search.models import IndexDoc, SearchRequest, SearchResult


@runtime_checkable
class RebuildHandle(Protocol):
    """A new index being built beside the live one; `commit_and_swap` makes it live atomically."""

    async def upsert(self, docs: Sequence[IndexDoc]) -> None: ...

    async def commit_and_swap(self) -> None: ...

    async def abort(self) -> None: ...


@runtime_checkable
class SearchEngine(Protocol):
    """A search index over IndexDoc: one writer (the indexer), readers in every API process."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        """Insert or replace documents by id; visible to searches once this returns."""
        ...

    async def delete(self, ids: Sequence[str]) -> None: ...

    async def search(self, req: SearchRequest) -> SearchResult: ...

    async def count(self) -> int: ...

    async def vocabulary(self, limit: int) -> list[tuple[str, int]]:
        """Indexed terms with their document frequencies, most frequent first."""
        ...

    async def titles(self, limit: int) -> list[str]:
        """Titles of up to `limit` documents (any of them), for the phrase vocabulary of pinyin queries."""
        ...

    async def health(self) -> bool: ...

    async def begin_rebuild(self) -> RebuildHandle: ...
