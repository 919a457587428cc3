"""The 12345 hotline knowledge base as a source of pairs: the connector interface, a file or HTTP source (JSON
array, JSONL, or CSV with a header), and how one row becomes a pair."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from core.errors import Invalid, Upstream
from core.masking import mask_url
from core.qa.importer import records
from core.qa.models import Basis, QaPair, check_pair

MAX_SOURCE_BYTES = 64 * 1024 * 1024
HTTP_TIMEOUT_S = 30.0
PAIR_PREFIX = "hotline-"
SOURCE = "hotline"  # qa_pairs.source of every pair the sync owns
BASIS_TITLE = "12345政务服务便民热线知识库"
# field → the names a source may give it (the first one present wins)
FIELDS = {
    "id": ("id", "external_id", "编号"),
    "question": ("question", "title", "问题"),
    "answer": ("answer", "content", "答复", "答案"),
    "category": ("category", "topic", "分类"),
    "url": ("url", "basis_url", "链接"),
}
Row = tuple[int, dict[str, Any] | Exception]


class HotlineSource(Protocol):
    """Where the hotline's knowledge base is read from; `name` is shown in the sync runs."""

    name: str

    async def rows(self) -> list[Row]:
        """(row number, record or why it is unreadable) for every row; raises Upstream when unreachable."""
        ...


def parse_rows(raw: bytes) -> list[Row]:
    """Rows of a JSON array (or {"items": [...]}), JSONL, or CSV/TSV with a header row."""
    text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            whole: Any = json.loads(text)
        except ValueError as exc:
            raise Invalid(f"the source looks like a JSON array but is not JSON: {exc}") from None
        return [
            (n, item if isinstance(item, dict) else Invalid("not a JSON object")) for n, item in enumerate(whole, 1)
        ]
    if stripped.startswith("{") and '"items"' in stripped[:200]:
        try:
            items = json.loads(text).get("items")
        except (ValueError, AttributeError):
            items = None
        if isinstance(items, list):
            return [(n, i if isinstance(i, dict) else Invalid("not a JSON object")) for n, i in enumerate(items, 1)]
    return list(records(text.splitlines()))


class FileSource:
    """A local JSON, JSONL or CSV export of the knowledge base."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(self.path)

    async def rows(self) -> list[Row]:
        try:
            size = self.path.stat().st_size
            if size > MAX_SOURCE_BYTES:
                raise Invalid(f"{self.path} is {size} bytes; at most {MAX_SOURCE_BYTES} are read")
            raw = await asyncio.to_thread(self.path.read_bytes)
        except OSError as exc:
            raise Invalid(f"cannot read {self.path}: {exc.strerror or exc}") from None
        return parse_rows(raw)


class HttpSource:
    """The knowledge base served over HTTP(S) (an export endpoint of the hotline's system)."""

    def __init__(self, url: str, *, timeout_s: float = HTTP_TIMEOUT_S) -> None:
        self.url = url
        self.name = mask_url(url)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def rows(self) -> list[Row]:
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as http, http.get(self.url) as response:
                if response.status != 200:
                    raise Upstream(f"{self.name} answered HTTP {response.status}")
                raw = await response.content.read(MAX_SOURCE_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Upstream(f"cannot fetch {self.name}: {type(exc).__name__}") from None
        if len(raw) > MAX_SOURCE_BYTES:
            raise Upstream(f"{self.name} sent more than {MAX_SOURCE_BYTES} bytes")
        return parse_rows(raw)


def source_of(location: str) -> HotlineSource:
    """A source from `--source` / HOTLINE_SOURCE: an http(s) URL, else a file path."""
    if not location.strip():
        raise Invalid("no hotline source: give --source PATH|URL or set HOTLINE_SOURCE")
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    return FileSource(location)


def _field(record: dict[str, Any], name: str) -> str:
    for key in FIELDS[name]:
        value = record.get(key)
        if value is not None and not isinstance(value, list | dict):
            return str(value).strip()
    return ""


def pair_of_row(record: dict[str, Any]) -> QaPair:
    """The pair a hotline row stands for (id `hotline-<external id>`); Invalid saying what is wrong."""
    external = _field(record, "id")
    if not external or len(external) > 100 or not external.isprintable() or " " in external:
        raise Invalid("id must be 1-100 printable characters without spaces")
    category, url = _field(record, "category"), _field(record, "url") or None
    basis = Basis(url, BASIS_TITLE, "faq")
    pair = QaPair(
        id=PAIR_PREFIX + external,
        question=_field(record, "question"),
        answer=_field(record, "answer"),
        basis=basis,
        tags=(category[:50],) if category else (),
        status="active",
        source=SOURCE,
    )
    check_pair(id=pair.id, question=pair.question, answer=pair.answer, tags=pair.tags, basis=basis)
    return pair
