"""SearchEngine on a Meilisearch server through the official client, run in threads."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchError

from core.errors import Upstream
from core.search import meili_requests as mr
from core.search.analysis import can_relax
from core.search.engine import RebuildHandle
from core.search.models import IndexDoc, SearchRequest, SearchResult

logger = logging.getLogger(__name__)
T = TypeVar("T")


class MeiliEngine:
    """SearchEngine over the Meilisearch index `index_name`; writes wait until Meilisearch applied them."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        index_name: str = "documents",
        *,
        timeout_s: int = 10,
        task_timeout_ms: int = 120_000,
        dictionary: Sequence[str] = (),
        synonyms: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._url, self._key, self._timeout = url, api_key, timeout_s
        self.index_name = index_name
        self._task_timeout_ms = task_timeout_ms
        self._settings = mr.index_settings(dictionary=dictionary, synonyms=synonyms)
        self._client: meilisearch.Client | None = None

    @property
    def client(self) -> meilisearch.Client:
        if self._client is None:
            raise Upstream("the Meilisearch engine is not open")
        return self._client

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except MeilisearchError as exc:
            raise Upstream(f"Meilisearch: {exc}", url=self._url) from exc

    async def _wait(self, task: Any) -> None:
        done = await self._call(self.client.wait_for_task, task.task_uid, timeout_in_ms=self._task_timeout_ms)
        if done.status != "succeeded":
            raise Upstream(f"Meilisearch task {done.uid} {done.status}: {done.error}", url=self._url)

    async def prepare_index(self, uid: str) -> None:
        """Create `uid` if missing and apply the settings (idempotent)."""
        try:
            await self._call(self.client.get_raw_index, uid)
        except Upstream as exc:
            cause = exc.__cause__
            if not (isinstance(cause, MeilisearchApiError) and cause.code == "index_not_found"):
                raise
            await self._wait(await self._call(self.client.create_index, uid, {"primaryKey": "id"}))
        await self._wait(await self._call(self.client.index(uid).update_settings, self._settings))

    async def open(self) -> None:
        self._client = meilisearch.Client(self._url, self._key, timeout=self._timeout)
        await self.prepare_index(self.index_name)

    async def close(self) -> None:
        self._client = None

    async def drop(self) -> None:
        """Delete the live index and its documents (decommissioning, test clean-up)."""
        await self._wait(await self._call(self.client.delete_index, self.index_name))

    async def add(self, uid: str, docs: Sequence[IndexDoc]) -> None:
        payload = await asyncio.to_thread(lambda: [mr.to_document(d) for d in docs])
        await self._wait(await self._call(self.client.index(uid).add_documents, payload, "id"))

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if docs:
            await self.add(self.index_name, docs)

    async def delete(self, ids: Sequence[str]) -> None:
        if ids:
            expression = f"id IN [{', '.join(mr.quote(i) for i in ids)}]"
            await self._wait(await self._call(self.client.index(self.index_name).delete_documents, filter=expression))

    async def search(self, req: SearchRequest) -> SearchResult:
        req.validate()
        started = time.perf_counter()
        index, q = self.client.index(self.index_name), mr.build_query(req)
        response = await self._call(index.search, q, mr.search_params(req))
        relaxed = mr.total_hits(response) == 0 and can_relax(req.query)
        if relaxed:
            # as the tantivy engine does: when no document has every word, accept fewer
            response = await self._call(index.search, q, mr.search_params(req, relaxed=True))
        hits = [mr.to_hit(hit, req) for hit in response.get("hits", [])]
        return SearchResult(
            hits=hits,
            total=mr.total_hits(response),
            facets=mr.to_facets(response, req.facets),
            took_ms=(time.perf_counter() - started) * 1000,
            relaxed=relaxed,
        )

    async def count(self) -> int:
        stats = await self._call(self.client.index(self.index_name).get_stats)
        return int(stats.number_of_documents)

    async def vocabulary(self, limit: int) -> list[tuple[str, int]]:
        """Title words only (Meilisearch exposes no term dictionary), at most maxValuesPerFacet of them."""
        params = {"limit": 0, "facets": [mr.VOCABULARY_FACET]}
        response = await self._call(self.client.index(self.index_name).search, "", params)
        words = (response.get("facetDistribution") or {}).get(mr.VOCABULARY_FACET) or {}
        return sorted(((str(k), int(v)) for k, v in words.items()), key=lambda kv: (-kv[1], kv[0]))[: max(0, limit)]

    async def titles(self, limit: int) -> list[str]:
        if limit <= 0:
            return []
        params = {"fields": ["title"], "limit": limit}
        response = await self._call(self.client.index(self.index_name).get_documents, params)
        return [str(getattr(d, "title", "") or "") for d in response.results]

    async def health(self) -> bool:
        try:
            return bool(await self._call(self.client.is_healthy))
        except Upstream:
            return False

    async def begin_rebuild(self) -> RebuildHandle:
        uid = f"{self.index_name}_rebuild_{time.time_ns()}"
        await self.prepare_index(uid)
        return MeiliRebuild(self, uid)


class MeiliRebuild:
    """A new Meilisearch index filled beside the live one, then swapped in with `swap_indexes`."""

    def __init__(self, engine: MeiliEngine, uid: str) -> None:
        self._engine = engine
        self.uid = uid

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if docs:
            await self._engine.add(self.uid, docs)

    async def commit_and_swap(self) -> None:
        engine = self._engine
        swap = [{"indexes": [engine.index_name, self.uid]}]
        await engine._wait(await engine._call(engine.client.swap_indexes, swap))
        # after the swap `self.uid` holds the old documents
        await self._drop()

    async def abort(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        try:
            await self._engine._wait(await self._engine._call(self._engine.client.delete_index, self.uid))
        except Upstream:
            logger.exception("could not delete Meilisearch index %s", self.uid)
