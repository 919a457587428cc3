"""The advanced search syntax: "exact phrase", -exclude, site:, title:, 文号:, type:, after:, before:."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from core.errors import Invalid
from core.sites.ids import is_site_id
from core.textzh.dates import FIRST_YEAR
from core.textzh.docno import parse_doc_no
from core.textzh.normalize import fold

MAX_OPERATORS = 16
# The kinds a document may have (`yiwang import` documents the same vocabulary) and their Chinese names.
KINDS: dict[str, str] = {
    "service": "办事服务",
    "policy": "政策文件",
    "interpretation": "政策解读",
    "news": "新闻",
    "notice": "通知公告",
    "article": "文章",
    "qa": "互动问答",
    "dataset": "开放数据",
    "newmedia": "政务新媒体",
    "page": "网页",
}
_SHORT_NAMES = {"办事": "service", "政策": "policy", "解读": "interpretation", "问答": "qa", "数据": "dataset"}
KIND_BY_NAME = {name: kind for kind, name in KINDS.items()} | _SHORT_NAMES | {"公告": "notice"}
_OPERATORS = {
    "site": "site",
    "站点": "site",
    "title": "title",
    "标题": "title",
    "文号": "doc_no",
    "docno": "doc_no",
    "type": "type",
    "kind": "type",
    "类型": "type",
    "after": "after",
    "before": "before",
    "从": "after",
    "到": "before",
}
# A token: -? then an operator prefix or nothing, then a quoted value or a run of non-space characters.
_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<op>[^\s:"“”]+)[:：])?(?:["“](?P<quoted>[^"“”]*)["”]?|(?P<bare>\S*))')
_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?年?$")


@dataclass(frozen=True, kw_only=True)
class ParsedQuery:
    """A query split into free text and the constraints its operators expressed."""

    text: str = ""
    phrases: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    doc_no: str = ""
    after: date | None = None
    before: date | None = None

    @property
    def has_constraints(self) -> bool:
        return bool(self.phrases or self.sites or self.titles or self.kinds or self.doc_no or self.after or self.before)


def check_year(label: str, value: str, bound: date | None, *, today: date) -> None:
    """Invalid for a date bound in a year no document can have, as `filters: {year}` refuses it: before
    FIRST_YEAR (no stored date is older) or after next year (`today`: a Beijing date). Such a bound matched nothing
    (before:1800) or everything, silently; the range lies inside what the engine's dates hold (1677–2262). `label`
    names where the bound came from (operator 'before:', filter 'publishedAfter'), `value` is what was given."""
    last = today.year + 1
    if bound is not None and not FIRST_YEAR <= bound.year <= last:
        raise Invalid(f"{label}: {value} is not between {FIRST_YEAR} and {last}")


def check_dates(after: date | None, before: date | None) -> None:
    """Invalid for bounds the wrong way round, whether they came from operators (after:, before:) or filters
    (publishedAfter, …Before)."""
    if after is not None and before is not None and after > before:
        raise Invalid(f"after: (publishedAfter) {after.isoformat()} is later than before: (publishedBefore) {before}")


def parse_date_bound(value: str, *, end: bool) -> date:
    """YYYY, YYYY-MM or YYYY-MM-DD (also / . 年月日) as the first day, or with `end` the last day, it covers."""
    m = _DATE.match(fold(value).strip())
    if not m:
        raise Invalid(f"{value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), last if end else 1)
        return date(year, int(month), int(day))
    except ValueError:
        raise Invalid(f"{value!r} is not a valid date") from None


def kind_of(value: str) -> str:
    """A kind from its code (policy) or Chinese name (政策文件); Invalid for anything else."""
    v = fold(value).strip()
    if v in KINDS:
        return v
    if value.strip() in KIND_BY_NAME:
        return KIND_BY_NAME[value.strip()]
    raise Invalid(f"unknown type {value!r}: use one of {', '.join(KINDS)}")


def _apply(out: ParsedQuery, op: str, value: str, negated: bool, today: date) -> ParsedQuery:
    """The query with one operator's value added."""
    if negated:
        raise Invalid(f"-{op}: cannot be negated; exclude words with -word instead")
    if op in ("after", "before"):
        bound = parse_date_bound(value, end=op == "before")
        check_year(f"operator '{op}:'", value, bound, today=today)
        return replace(out, after=bound) if op == "after" else replace(out, before=bound)
    if op == "site":
        site = fold(value)
        if not is_site_id(site):
            raise Invalid(f"site:{value} is not a site id")
        return replace(out, sites=[*out.sites, site])
    if op == "title":
        return replace(out, titles=[*out.titles, value])
    if op == "type":
        return replace(out, kinds=[*out.kinds, kind_of(value)])
    if op == "doc_no":
        parsed = parse_doc_no(value)
        if parsed is None:
            raise Invalid(f"文号:{value} is not a document number such as 国办发〔2017〕47号")
        return replace(out, doc_no=parsed.normalized)
    raise AssertionError(f"operator {op!r} is not handled")


@dataclass(frozen=True)
class _Token:
    """One token of a query as typed: its text, whether it is negated, its `op:` prefix (raw and as an operator, if
    one is known) and its value (a quoted phrase or a bare word)."""

    text: str
    negated: bool
    op_raw: str | None
    op: str | None
    quoted: str | None
    value: str


def _tokens(raw: str) -> Iterator[_Token]:
    for m in _TOKEN.finditer(raw.strip()):
        if not m.group(0):
            continue
        op_raw, quoted = m.group("op"), m.group("quoted")
        value = (quoted if quoted is not None else m.group("bare") or "").strip()
        op = _OPERATORS.get(fold(op_raw)) if op_raw else None
        yield _Token(m.group(0), bool(m.group("neg")), op_raw, op, quoted, value)


def query_words(raw: str) -> str:
    """The words a query looks for, in the order typed, as analytics counts it: quoted phrases without their quotes
    and the values of title: and 文号: (what is sought), without -exclusions nor the constraints site:, type:,
    after: and before:. Never raises: it reads what was searched, whatever the operators held."""
    words = []
    for t in _tokens(raw):
        if t.op is not None:
            if t.op in ("title", "doc_no") and t.value and not t.negated:
                words.append(t.value)
        elif t.op_raw:  # a word with a colon (12:30), as parse_query keeps it
            words.append(t.text)
        elif t.value and not t.negated:
            words.append(t.value)
    return " ".join(words)


def parse_query(raw: str, *, today: date) -> ParsedQuery:
    """Split a user query; unknown `word:` prefixes stay text, a malformed operator value raises Invalid (`today`:
    the Beijing date, for the latest year after: and before: may name)."""
    out = ParsedQuery()
    words: list[str] = []
    phrases: list[str] = []
    excludes: list[str] = []
    operators = 0
    for t in _tokens(raw):
        if t.op is not None:
            operators += 1
            if operators > MAX_OPERATORS:
                raise Invalid(f"at most {MAX_OPERATORS} operators in one query")
            out = _apply(out, t.op, t.value, t.negated, today) if t.value else out
        elif t.op_raw:  # not an operator: a word that happens to contain a colon (e.g. 12:30)
            words.append(t.text)
        elif t.value:
            (excludes if t.negated else phrases if t.quoted is not None else words).append(t.value)
    check_dates(out.after, out.before)
    return replace(out, text=" ".join(words), phrases=phrases, excludes=excludes)
