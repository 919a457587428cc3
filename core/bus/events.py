"""The event machinery (streams, the Event base: subject, key, strict decoding) and the events of the search
backbone: crawl, documents, searches and clicks, alerts. The features' events are in core.bus.feature_events; every
subject and payload is declared once and versioned, payloads are small JSON objects."""

from __future__ import annotations

import abc
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from core.errors import Invalid

E = TypeVar("E", bound="Event")

# Streams: name -> subjects captured. Limits-based retention; a week of history for replay.
STREAMS: dict[str, list[str]] = {
    "YW_CRAWL": ["yw.crawl.>"],
    "YW_DOC": ["yw.doc.>"],
    "YW_SEARCH": ["yw.search.>", "yw.click.>"],
    "YW_ALERT": ["yw.alert.>"],
    "YW_DLQ": ["yw.dlq.>"],
    "YW_USER": ["yw.app.>", "yw.letter.>"],  # the user space: application progress and letters (issue 13)
    "YW_HALL": ["yw.hall.>"],  # 3D service halls rebuilt from a changed layout (issue 16)
    "YW_DISCLOSURE": ["yw.disclosure.>"],  # grassroots disclosure: items published per unit (issue 15)
    "YW_OPENDATA": ["yw.opendata.>"],  # open data: datasets created, changed or deleted per department (issue 14)
}
DLQ_PREFIX = "yw.dlq"


@dataclass(frozen=True)
class Event(abc.ABC):
    """Base of all events: `subject` names the family and version; `key` makes publishing idempotent."""

    SUBJECT: ClassVar[str]

    def partition(self) -> str:
        """The last subject token (a site id), so subscribers can filter by site."""
        return "all"

    @property
    def subject(self) -> str:
        return f"{self.SUBJECT}.{self.partition()}"

    @property
    @abc.abstractmethod
    def key(self) -> str:
        """The idempotency key sent as Nats-Msg-Id: the same fact always has the same key."""

    def encode(self) -> bytes:
        # Shallow on purpose: dataclasses.asdict deep-copies every nested list and dict (a page's links) first.
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls: type[E], data: bytes) -> E:
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(f"{cls.__name__}: payload is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise Invalid(f"{cls.__name__}: payload is not an object")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls: type[E], raw: dict[str, Any]) -> E:
        """Build from a decoded payload: unknown fields are ignored, missing required ones are Invalid."""
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in raw and _required(f)]
        if missing:
            raise Invalid(f"{cls.__name__}: missing fields {missing}")
        return cls(**{k: v for k, v in raw.items() if k in names})


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@dataclass(frozen=True)
class PageFetched(Event):
    """A crawler fetched (or lost) a page and extracted it; the indexer turns it into a document."""

    SUBJECT: ClassVar[str] = "yw.crawl.page.v1"
    site_id: str
    url: str
    status: int
    content_hash: str
    fetched_at: str
    kind: str = "page"
    title: str = ""
    text: str = ""
    published_at: str | None = None
    column: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    gone: bool = False
    crawl_id: int | None = None
    source: str = "crawl"

    def partition(self) -> str:
        return self.site_id

    @property
    def key(self) -> str:
        return f"page:{self.url}:{'gone' if self.gone else self.content_hash}"


@dataclass(frozen=True)
class PageImported(PageFetched):
    """A page the platform writes itself (a disclosure item, a fund project, a published letter) rather
    than fetches. Same payload and indexing as a crawled page, on a subject of its own with its own indexer
    (`indexer-imports`), so a district's register of 40,000 items does not hold crawled changes back for a
    quarter of an hour. Its subject does not start with the crawl's, so neither lane's filter matches the other."""

    SUBJECT: ClassVar[str] = "yw.crawl.import.v1"


@dataclass(frozen=True)
class DocumentChanged(Event):
    """A document was created, changed or marked gone in Postgres (the truth)."""

    SUBJECT: ClassVar[str] = "yw.doc.changed.v1"
    document_id: str
    url: str
    site_id: str
    change: str  # created | updated | gone
    version: int
    content_hash: str
    title: str = ""
    kind: str = "page"
    changed_at: str = ""
    # Set when the row did not change but its projection must be redone (a reprint joined or left its
    # cluster): a token of that request, so JetStream does not drop it as a repeat of the change itself.
    reproject: str = ""

    def partition(self) -> str:
        return self.site_id

    @property
    def key(self) -> str:
        base = f"doc:{self.document_id}:{self.version}:{self.change}"
        return f"{base}:reproject:{self.reproject}" if self.reproject else base


@dataclass(frozen=True)
class SearchLogged(Event):
    """A search was made (no personal data beyond an opaque session id)."""

    SUBJECT: ClassVar[str] = "yw.search.logged.v1"
    search_id: str
    query: str
    total: int
    at: str
    site: str | None = None
    session_id: str | None = None
    source: str = "api"
    rewritten: str | None = None

    def partition(self) -> str:
        return self.site or "all"

    @property
    def key(self) -> str:
        return f"search:{self.search_id}"


@dataclass(frozen=True)
class ResultClicked(Event):
    """A search result was clicked at a position."""

    SUBJECT: ClassVar[str] = "yw.click.v1"
    search_id: str
    document_id: str
    position: int
    at: str
    session_id: str | None = None

    @property
    def key(self) -> str:
        return f"click:{self.search_id}:{self.document_id}:{self.position}"


@dataclass(frozen=True)
class HotQueriesUpdated(Event):
    """Analytics counted new searches/clicks of a site; core NATS only (Bus.notify), no stream: a nudge to re-read."""

    # Not kept in a stream on purpose: live subscribers re-read hot queries from Postgres, so a notification
    # missed while nobody listens loses nothing and there is nothing to replay.

    SUBJECT: ClassVar[str] = "yw.hot.v1"
    searches: int
    clicks: int
    at: str
    site: str | None = None

    def partition(self) -> str:
        return self.site or "all"

    @property
    def key(self) -> str:
        return f"hot:{self.partition()}:{self.at}"


@dataclass(frozen=True)
class AlertRaised(Event):
    """A monitoring finding opened or closed."""

    SUBJECT: ClassVar[str] = "yw.alert.v1"
    finding_id: str
    site_id: str
    rule: str
    state: str  # opened | closed
    summary: str
    at: str

    def partition(self) -> str:
        return self.site_id

    @property
    def key(self) -> str:
        return f"alert:{self.finding_id}:{self.state}:{self.at}"


def subject_for_site(event: type[Event], site: str | None) -> str:
    """A subscription subject for one site, or for all sites with a wildcard."""
    return f"{event.SUBJECT}.{site or '*'}"
