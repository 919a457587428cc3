"""What monitoring reads and produces: site facts, findings, rule scores and the scorecard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Probe:
    """One homepage probe: did the page open within the time limit."""

    probed_at: datetime
    ok: bool
    status: int | None = None
    elapsed_ms: int | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkCheck:
    """The result of checking one URL (cached per URL per day)."""

    url: str
    ok: bool
    status: int | None
    error: str | None
    elapsed_ms: int | None
    checked_at: datetime


@dataclass(frozen=True, kw_only=True)
class LinkFact:
    """A link on a page of the site with its latest check, if any."""

    page_url: str
    url: str
    anchor: str
    kind: str
    on_homepage: bool
    check: LinkCheck | None = None


@dataclass(frozen=True, kw_only=True)
class ColumnFact:
    """A column (栏目) with its type, item count and newest item."""

    id: int
    name: str
    type: str
    items: int
    last_published: date | None
    list_url: str | None
    newest_url: str | None = None


@dataclass(frozen=True)
class DatedItem:
    """A dated document reachable from the homepage."""

    url: str
    title: str
    published: date


@dataclass(frozen=True)
class DocText:
    """Title and text of a document, for wrong-expression scanning."""

    url: str
    column: str | None
    title: str
    text: str


@dataclass(frozen=True)
class Letter:
    """A citizen's letter: from a crawled 互动 page, or written in the user space (core.letters, with a deadline)."""

    url: str
    title: str
    column: str | None
    asked: date
    replied: date | None
    due: date | None = None  # the user space's deadline (working days); crawled pages print none
    letter_id: str | None = None  # a user-space letter's id (its url is empty until it is published)


@dataclass(frozen=True)
class WrongExpression:
    """A wrong form of a political term or leader's name and its right form."""

    wrong: str
    right: str
    category: str = "term"


@dataclass(frozen=True, kw_only=True)
class SiteFacts:
    """Everything the rules judge one site by, loaded once per inspection."""

    site_id: str
    site_name: str
    homepage_url: str | None
    probes: list[Probe] = field(default_factory=list)
    homepage_items: list[DatedItem] = field(default_factory=list)
    second_level_items: list[DatedItem] = field(default_factory=list)
    columns: list[ColumnFact] = field(default_factory=list)
    links: list[LinkFact] = field(default_factory=list)
    documents: list[DocText] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    wrong_expressions: list[WrongExpression] = field(default_factory=list)
    data_quality: DataQualityFacts | None = None  # the open-data site only (OPENDATA_SITE)
    disclosure: DisclosureFacts | None = None  # a unit's site (unit-<code>) only
    tv_commitments: TvCommitmentFacts | None = None  # a site with 电视问政 commitments only
    web_pages: bool = True  # False: a disclosure unit's site, which has no homepage, columns or links to judge


@dataclass(frozen=True, kw_only=True)
class QualityProblem:
    """One problem the open-data quality review (回头看) found in a resource of a dataset."""

    dataset_id: str
    dataset: str
    department: str
    department_title: str
    resource_id: str
    kind: str
    field: str
    count: int
    summary: str
    found_at: datetime


@dataclass(frozen=True, kw_only=True)
class DataQualityFacts:
    """The quality review's problems (bounded; `total` says how many there are)."""

    problems: list[QualityProblem]
    total: int


@dataclass(frozen=True, kw_only=True)
class StaleCategory:
    """A disclosure category past its days: in the unit itself (a village), or in the villages below it."""

    category: str
    max_days: int
    villages: int  # how many villages are past their days in it (1 on a village's own site)
    listed: list[dict[str, Any]]  # the first of them: code, name, site, last_published, days_since


@dataclass(frozen=True, kw_only=True)
class DisclosureFacts:
    """A unit's freshness: its level and stale categories; `error` names a bad DISCLOSURE_FRESHNESS_DAYS."""

    code: str
    level: str
    categories: dict[str, int]
    stale: list[StaleCategory]
    error: str | None = None


@dataclass(frozen=True)
class Draft:
    """A failed check as a rule reports it; `key` identifies it across inspections."""

    key: str
    summary: str
    url: str | None = None
    column: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RuleResult:
    """One rule's verdict on one site: findings, keys it could not judge (kept as they are), and the score."""

    rule: str
    title: str
    findings: list[Draft]
    vetoed: bool
    deduction: float
    measured: str
    thresholds: dict[str, float]
    keep: frozenset[str] = frozenset()
    keep_all: bool = False  # the rule could not judge at all (a bad setting): every open finding stays
    applies: bool = True  # False: the rule is not for this site (不适用, out of the score)
    listed: bool = True  # False: left off the scorecard (a feature's rule on a site without the feature)
    veto_rule: bool = True


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A stored finding with its evidence; open until a later check passes."""

    id: str
    site_id: str
    rule: str
    key: str
    state: str
    summary: str
    url: str | None
    column: str | None
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class RuleScore:
    """One line of the scorecard."""

    rule: str
    title: str
    count: int
    vetoed: bool
    deduction: float
    measured: str
    thresholds: dict[str, float]
    veto_rule: bool
    applies: bool = True  # False: 不适用 (the site has nothing the rule judges); no count, veto or deduction

    @classmethod
    def of(cls, result: RuleResult) -> RuleScore:
        """The score line of one rule's result."""
        return cls(
            rule=result.rule,
            title=result.title,
            count=len(result.findings),
            vetoed=result.vetoed,
            deduction=result.deduction,
            measured=result.measured,
            thresholds=result.thresholds,
            veto_rule=result.veto_rule,
            applies=result.applies,
        )


@dataclass(frozen=True)
class Scorecard:
    """A site's inspection result: pass/fail on the veto items, and a score after deductions."""

    site_id: str
    inspected_at: datetime
    score: float
    passed: bool
    items: list[RuleScore]

    @property
    def vetoes(self) -> list[RuleScore]:
        return [i for i in self.items if i.vetoed]


@dataclass(frozen=True, kw_only=True)
class OverdueCommitment:
    """A commitment made on a TV Q&A programme (电视问政), confirmed and still open past its due date."""

    id: str
    department: str
    content: str
    due_on: date
    episode_title: str
    programme: str
    aired_on: date


@dataclass(frozen=True, kw_only=True)
class TvCommitmentFacts:
    """The site's confirmed commitments (tv_commitment_deadlines, core.engagement): how many, and the overdue ones."""

    total: int
    overdue: list[OverdueCommitment]
    overdue_total: int
