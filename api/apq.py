"""Automatic persisted queries (the Apollo APQ protocol) and the HTTP caching of public queries sent by GET.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` with the query once, then the hash alone,
by POST or by GET (`?extensions=…&variables=…`, which a CDN or the browser can cache). A hash this process does
not hold answers PERSISTED_QUERY_NOT_FOUND and the client sends the query again; a query whose hash is not the
one given is refused. A stored query is text only: every run of it goes through the same parse, depth, alias,
token and cost limits as a query sent in full, and only a query that ran (passed them) is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, OperationDefinitionNode, parse
from starlette.responses import JSONResponse, Response

from core.settings import Settings

HASH = re.compile(r"[0-9a-f]{64}")
APQ_VERSION = 1
NOT_FOUND = "PersistedQueryNotFound"  # the message Apollo's clients match
# Root fields whose answer is made for one request: a search logs itself and signs a search id for its clicks,
# an answer belongs to its Q&A session. Their GET responses are never cached.
PER_REQUEST_FIELDS = frozenset({"search", "ask"})
PARSED = 256  # query documents whose cache policy is kept


class PersistedQueryError(Exception):
    """A persisted-query request the API refuses, answered as a GraphQL error with a code."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def response(self) -> Response:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        # a miss must not be kept by a cache: the next request may well register the query
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


def _bad(message: str) -> PersistedQueryError:
    return PersistedQueryError(message, code="BAD_INPUT", status=400)


class PersistedQueries:
    """Query texts by SHA-256, least recently used dropped first past APQ_CACHE_SIZE entries or APQ_CACHE_BYTES."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, settings: Settings) -> PersistedQueries:
        return cls(max_entries=settings.apq_cache_size, max_bytes=settings.apq_cache_bytes)

    def __len__(self) -> int:
        return len(self._queries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, digest: str) -> str | None:
        with self._lock:
            query = self._queries.get(digest)
            if query is not None:
                self._queries.move_to_end(digest)
            return query

    def put(self, digest: str, query: str) -> bool:
        """Keep `query` under `digest`; False when it alone is larger than the whole budget."""
        size = len(query.encode())
        if size > self.max_bytes:
            return False
        with self._lock:
            old = self._queries.pop(digest, None)
            self._bytes -= len(old.encode()) if old is not None else 0
            self._queries[digest] = query
            self._bytes += size
            while len(self._queries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._queries.popitem(last=False)
                self._bytes -= len(dropped.encode())
        return True


@dataclass(frozen=True, kw_only=True)
class Persisted:
    """The persisted-query part of one request: its hash, and whether the query came with it (to store)."""

    digest: str
    sent: bool


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def requested(extensions: object) -> str | None:
    """The hash a request's extensions ask for; None without `persistedQuery`; BAD_INPUT when it is malformed."""
    if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
        return None
    asked = extensions["persistedQuery"]
    if not isinstance(asked, dict):
        raise _bad("extensions.persistedQuery must be an object {version: 1, sha256Hash: <64 hex digits>}")
    if asked.get("version") != APQ_VERSION:
        raise _bad(f"unsupported persisted query version {asked.get('version')!r}: only version 1 is served")
    digest = asked.get("sha256Hash")
    if not isinstance(digest, str) or HASH.fullmatch(digest) is None:
        raise _bad("extensions.persistedQuery.sha256Hash must be the SHA-256 of the query: 64 lower-case hex digits")
    return digest


def resolve(data: dict[str, Any], store: PersistedQueries) -> Persisted | None:
    """Fill `data["query"]` from the store when only a hash came; check a hash that came with its query."""
    digest = requested(data.get("extensions"))
    if digest is None:
        return None
    query = data.get("query")
    if query is None or query == "":
        found = store.get(digest)
        if found is None:
            raise PersistedQueryError(NOT_FOUND, code="PERSISTED_QUERY_NOT_FOUND", status=200)
        data["query"] = found
        return Persisted(digest=digest, sent=False)
    if not isinstance(query, str):
        raise _bad("the GraphQL operation's `query` must be a string")
    if sha256_hex(query) != digest:
        raise _bad("provided sha does not match query: sha256Hash must be the SHA-256 of the query text, as sent")
    return Persisted(digest=digest, sent=True)


# ---- HTTP caching of GET responses ----


def cacheable_operation(query: str, operation_name: str | None) -> bool:
    """Whether the operation run is a query whose answer is the same for everyone (no per-request field)."""
    return _cacheable(query, operation_name or "")


@lru_cache(maxsize=PARSED)
def _cacheable(query: str, operation_name: str) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if not operation_name or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or chosen[0].operation.value != "query":
        return False
    roots = chosen[0].selection_set.selections
    # a root spread or inline fragment could hide a per-request field: such documents are not cached
    if any(isinstance(s, FragmentSpreadNode | InlineFragmentNode) for s in roots):
        return False
    return not any(isinstance(s, FieldNode) and s.name.value in PER_REQUEST_FIELDS for s in roots)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list (or `*`) with our strong tag."""
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return any(t.removeprefix("W/") == etag for t in tags)


def cached_get(response: Response, *, if_none_match: str | None, max_age: int) -> Response:
    """A public query's GET answer with ETag and Cache-Control, or 304 when the client holds this version."""
    body = bytes(response.body)
    tag = etag_of(body)
    headers = {
        "ETag": tag,
        "Cache-Control": f"public, max-age={max_age}" if max_age else "no-cache",
        # a request with a bearer token gets its own answer (never stored); api.cors adds Origin
        "Vary": "Authorization",
    }
    if if_none_match is not None and matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def errors_in(body: bytes) -> bool:
    """Whether a GraphQL JSON answer carries errors (such an answer is never cached)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return True
    return not isinstance(parsed, dict) or bool(parsed.get("errors")) or "data" not in parsed
