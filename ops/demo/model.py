"""Data model of the demo site group: site and column specs, generated articles, rendered pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

LIST = "list"


@dataclass(frozen=True)
class ColumnSpec:
    """A column (栏目): its path slug, name, article kind and how many articles it holds."""

    slug: str
    name: str
    kind: str
    count: int
    stale: bool = False
    column_type: str = "信息列表"


@dataclass(frozen=True)
class SiteSpec:
    """Identity of one demo site and the columns it carries."""

    id: str
    name: str
    short: str
    level: str
    region: str
    department: str | None
    sponsor: str
    site_code: str
    icp: str
    charset: str
    page_size: int
    schedule: str
    issuers: tuple[tuple[str, str], ...]
    id_base: int
    topics: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    retired: tuple[tuple[str, str], ...] = ()
    # (topic, 事项名称) of service guides the site publishes whatever its clock: the demo hall's services
    guides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file linked from an article; a missing one is linked but never served."""

    title: str
    path: str
    missing: bool = False

    @property
    def ext(self) -> str:
        return self.path.rsplit(".", 1)[1]


@dataclass(frozen=True)
class PolicyInfo:
    """The gov.cn-style metadata of a policy document."""

    index_no: str
    theme: str
    issuer: str
    written: date
    doc_no: str


@dataclass(frozen=True)
class PolicyRef:
    """The policy an interpretation explains; path is None when the page does not link it."""

    title: str
    doc_no: str
    path: str | None


@dataclass(frozen=True)
class GuideInfo:
    """The fields of a service guide (办事指南)."""

    item: str
    agency: str
    conditions: tuple[str, ...]
    materials: tuple[str, ...]
    place: str
    hours: str
    time_limit: str
    fee: str
    phone: str
    online: bool


@dataclass(frozen=True)
class LetterInfo:
    """A citizen's letter and, unless still pending, the reply to it."""

    asker: str
    asked_at: datetime
    reply_unit: str | None
    replied_at: datetime | None
    reply: tuple[str, ...]


@dataclass
class Article:
    """One generated article page of a column."""

    site_id: str
    column: ColumnSpec
    kind: str
    ident: int
    title: str
    published: datetime
    source: str
    paragraphs: list[str]
    attachments: list[Attachment] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)
    policy: PolicyInfo | None = None
    explains: PolicyRef | None = None
    guide: GuideInfo | None = None
    letter: LetterInfo | None = None
    topic: str = ""

    @property
    def path(self) -> str:
        p = self.published
        return f"/{self.column.slug}/{p:%Y%m}/t{p:%Y%m%d}_{self.ident}.html"


@dataclass
class SiteContent:
    """Everything generated for one site: articles per column (newest first) and its planted faults."""

    spec: SiteSpec
    columns: dict[str, list[Article]]
    broken_links: list[str]
    misspelt_path: str | None = None

    def articles(self) -> list[Article]:
        return [a for items in self.columns.values() for a in items]

    def list_pages(self, slug: str) -> int:
        return max(1, -(-len(self.columns[slug]) // self.spec.page_size))

    def html_paths(self) -> list[str]:
        """Canonical paths of every HTML page: homepage, column list pages, articles."""
        paths = ["/"]
        for col in self.spec.columns:
            paths += [list_path(col.slug, n) for n in range(self.list_pages(col.slug))]
        return paths + [a.path for a in self.articles()]


@dataclass(frozen=True)
class Page:
    """A rendered resource as the server sends it."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


def list_path(slug: str, n: int) -> str:
    """The TRS-style path of page n of a column list: index.html, index_1.html, ..."""
    return f"/{slug}/index.html" if n == 0 else f"/{slug}/index_{n}.html"
