"""The events of the features beside search: the user space (applications, letters), 3D service halls, grassroots
disclosure and open data. Declared once and versioned on the base of core.bus.events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar

from core.bus.events import Event

# --- the user space (core/letters, core/applications; issue 13) ---------------------------------------------


def user_key(username: str) -> str:
    """A user's subject token: a hash of the username (usernames may hold dots, and subjects should not show them)."""
    return hashlib.sha256(f"yw-user:{username}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ApplicationUpdated(Event):
    """The service platform (一网通办) reports the progress of an application (办件) of one user.

    `seq` is the platform's own order of this application's updates (a larger one is newer); `occurred_at`
    breaks ties. A connector publishes it; the `applications` consumer keeps the newest per application.
    """

    SUBJECT: ClassVar[str] = "yw.app.updated.v1"
    platform: str  # the system reporting it, e.g. "zwfw"
    application_id: str  # the platform's 办件编号
    username: str  # the applicant's username on the site group's identity provider
    service: str  # 事项名称
    stage: str  # 受理 | 审查 | 决定 | 办结 (or 补正, 不予受理, 撤回 as the platform names them)
    seq: int
    occurred_at: str
    status: str = ""  # the platform's wording of the state, e.g. "已受理"
    department: str = ""
    site_id: str | None = None
    note: str = ""

    def partition(self) -> str:
        return user_key(self.username)

    @property
    def key(self) -> str:
        return f"app:{self.platform}:{self.application_id}:{self.seq}"


@dataclass(frozen=True)
class ApplicationProgressed(Event):
    """The user space stored newer progress of an application; core NATS only (Bus.notify): `myUpdates` pushes it."""

    SUBJECT: ClassVar[str] = "yw.me.app.v1"
    username: str
    platform: str
    application_id: str
    seq: int

    def partition(self) -> str:
        return user_key(self.username)

    @property
    def key(self) -> str:
        return f"progress:{self.platform}:{self.application_id}:{self.seq}"


@dataclass(frozen=True)
class LetterSubmitted(Event):
    """A signed-in user wrote to a department of a site (咨询 / 投诉 / 建议); ids only, no personal data."""

    SUBJECT: ClassVar[str] = "yw.letter.submitted.v1"
    letter_id: str
    site_id: str
    kind: str
    department: str
    due_on: str
    at: str

    def partition(self) -> str:
        return self.site_id

    @property
    def key(self) -> str:
        return f"letter:{self.letter_id}:submitted"


@dataclass(frozen=True)
class LetterReplied(Event):
    """A department replied to a letter; partitioned by its writer, so `myUpdates` of that user pushes it."""

    SUBJECT: ClassVar[str] = "yw.letter.replied.v1"
    letter_id: str
    username: str
    site_id: str
    department: str
    late: bool
    at: str

    def partition(self) -> str:
        return user_key(self.username)

    @property
    def key(self) -> str:
        return f"letter:{self.letter_id}:replied"


# --- 3D service halls (core/halls; issue 16) -------------------------------------------------------------------


@dataclass(frozen=True)
class HallChanged(Event):
    """A hall's layout changed and its GLB was rebuilt: viewers reload the model (the ETag is its sha256)."""

    SUBJECT: ClassVar[str] = "yw.hall.changed.v1"
    hall_id: str
    layout_digest: str
    glb_sha256: str
    size: int

    def partition(self) -> str:
        return self.hall_id

    @property
    def key(self) -> str:
        return f"hall:{self.hall_id}:{self.glb_sha256}"


# --- grassroots disclosure (core/disclosure; issue 15) ---------------------------------------------------------

UNIT_LEVELS = 4  # 市 / 区县 / 乡镇街道 / 村社区: a disclosure subject carries the unit's whole chain


@dataclass(frozen=True)
class DisclosurePublished(Event):
    """An item of a unit was published, edited after publication or withdrawn (after the transaction committed).

    The subject carries the unit's chain of codes from the 市 down, `_` for levels below it, so a subscriber of
    any unit takes its own items and its descendants' with one wildcard subscription (`disclosure_subject`)."""

    SUBJECT: ClassVar[str] = "yw.disclosure.published.v1"
    item_id: str
    unit_code: str
    chain: list[str]  # codes from the 市 down to the unit
    category: str
    revision: int
    change: str  # published | revised | withdrawn
    at: str

    def partition(self) -> str:
        return ".".join([*self.chain, *["_"] * (UNIT_LEVELS - len(self.chain))])

    @property
    def key(self) -> str:
        return f"disclosure:{self.item_id}:{self.revision}:{self.change}"


def disclosure_subject(chain: list[str]) -> str:
    """The subject of a unit's items and those of every unit below it."""
    return ".".join([DisclosurePublished.SUBJECT, *chain, *["*"] * (UNIT_LEVELS - len(chain))])


# --- open data (core/opendata; issue 14) -----------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetChanged(Event):
    """A catalogue dataset was created, changed or deleted (after its transaction committed), per department."""

    SUBJECT: ClassVar[str] = "yw.opendata.dataset.v1"
    dataset_id: str
    name: str
    organization: str  # the department's name (a subject token: [a-z0-9_-])
    change: str  # created | updated | deleted
    revision: int
    at: str

    def partition(self) -> str:
        return self.organization

    @property
    def key(self) -> str:
        return f"dataset:{self.dataset_id}:{self.revision}:{self.change}"
