"""What extraction yields for one page: kind, title, main text, dates, metadata, attachments and links."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Literal

Kind = Literal["homepage", "column", "article", "policy", "interpretation", "news", "notice", "service", "qa", "other"]
KINDS: tuple[str, ...] = (
    "homepage",
    "column",
    "article",
    "policy",
    "interpretation",
    "news",
    "notice",
    "service",
    "qa",
    "other",
)


@dataclass(frozen=True, slots=True)
class Link:
    """An outgoing link: absolute URL and its anchor text."""

    url: str
    text: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A downloadable file linked from the page."""

    name: str
    url: str
    type: str
    size: str | None = None


@dataclass(frozen=True, slots=True)
class Meta:
    """The 政府信息公开 metadata block plus the CMS <meta> tags; reads like a dict of the fields that are set."""

    index_no: str | None = None
    theme: str | None = None
    issuer: str | None = None
    written_date: date | None = None
    published_date: date | None = None
    doc_no: str | None = None
    doc_no_normalized: str | None = None
    validity: str | None = None
    article_title: str | None = None
    pub_date: str | None = None
    content_source: str | None = None
    column_name: str | None = None
    site_name: str | None = None
    site_id_code: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._names() if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._names() and getattr(self, key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if key in self._names() else None
        return default if value is None else value

    def items(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in self]

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class Extracted:
    """Everything extraction found on one page; fields it could not find are empty or None."""

    url: str
    kind: Kind = "other"
    title: str = ""
    text: str = ""
    column: str | None = None
    breadcrumb: tuple[str, ...] = ()
    published_at: date | None = None
    attachments: tuple[Attachment, ...] = ()
    links: tuple[Link, ...] = ()
    meta: Meta = field(default_factory=Meta)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: dates as YYYY-MM-DD."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
