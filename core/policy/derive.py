"""A policy record derived from a stored document: 文号, issuers, dates, validity, audience, theme, simhash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import date

from core.documents import Document
from core.policy.audience import audience_tags
from core.policy.links import policy_names
from core.policy.reprints import simhash
from core.policy.taxonomy import normalize_theme
from core.textzh.dates import parse_date
from core.textzh.docno import DocNo, find_doc_nos, parse_doc_nos

VALIDITIES = ("有效", "失效", "废止", "修订")
_ISSUER_SPLIT = re.compile(r"[、，,;；/\s]+")
_TERM = re.compile(
    r"自(?P<start>[^，。；]{6,20}?)起(?:施行|实施|执行)[，,]?\s*有效期(?P<n>[一二三四五六七八九十\d]{1,2})年"
)
_UNTIL = re.compile(r"有效期(?:至|到)(?P<end>[^，。；]{6,20})")
_CN_YEARS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


@dataclass(frozen=True, kw_only=True)
class PolicyRecord:
    """What the policy library keeps of one policy document."""

    document_id: str
    title: str
    names: tuple[str, ...]
    doc_nos: tuple[DocNo, ...]
    issuers: tuple[str, ...]
    written_date: date | None
    published_date: date | None
    year: int | None
    validity_page: str | None
    expires_on: date | None
    audience: tuple[str, ...]
    theme: str | None
    simhash: int

    @property
    def content_hash(self) -> str:
        raw = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def doc_nos_of(doc: Document) -> list[DocNo]:
    """The 文号 of the page's 发文字号 field (several for joint issuance), else the one on the title line."""
    found = parse_doc_nos(doc.doc_no or doc.metadata.get("doc_no"))
    return found or find_doc_nos(doc.title)[:1]


def issuers_of(doc: Document) -> list[str]:
    raw = doc.issuer or doc.metadata.get("issuer") or ""
    return [p for p in _ISSUER_SPLIT.split(str(raw)) if len(p) >= 2][:10]


def _years(raw: str) -> int:
    return int(raw) if raw.isdigit() else (10 + _CN_YEARS.get(raw[-1], 0) if raw.startswith("十") else _CN_YEARS[raw])


def expiry(text: str) -> date | None:
    """The end of “自X起施行，有效期N年” or “有效期至X”, when the text states one."""
    m = _TERM.search(text)
    if m:
        start = parse_date(m.group("start"))
        if start is not None:
            try:
                return start.replace(year=start.year + _years(m.group("n")))
            except (KeyError, ValueError):
                return None
    m = _UNTIL.search(text)
    return parse_date(m.group("end")) if m else None


def _iso(value: object) -> date | None:
    return parse_date(str(value)) if value else None


def derive(doc: Document) -> PolicyRecord:
    """The record of a policy document; the page's own metadata wins over anything inferred."""
    meta = doc.metadata
    doc_nos = doc_nos_of(doc)
    written = _iso(meta.get("written_date"))
    published = _iso(meta.get("published_date")) or doc.published_at
    year = next((d.year for d in doc_nos if d.year), None) or (written or published or date.min).year or None
    validity = meta.get("validity")
    return PolicyRecord(
        document_id=doc.id,
        title=doc.title,
        names=tuple(policy_names(doc.title)),
        doc_nos=tuple(doc_nos),
        issuers=tuple(issuers_of(doc)),
        written_date=written,
        published_date=published,
        year=year if year and year > 1 else None,
        validity_page=validity if validity in VALIDITIES else None,
        expires_on=expiry(doc.text),
        audience=tuple(audience_tags(doc.title, doc.text)),
        theme=normalize_theme(meta.get("theme")),
        simhash=simhash(doc.title, doc.text),
    )
