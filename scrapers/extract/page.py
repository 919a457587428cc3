"""extract(html, url): one government page into an Extracted record; never raises on bad input."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser

from core.textzh.dates import parse_date
from core.textzh.docno import parse_doc_no
from scrapers.extract.classify import Evidence, classify
from scrapers.extract.content import breadcrumb, find_body, pick_title, title_candidates
from scrapers.extract.dom import lines, parse, remove_noise, squash
from scrapers.extract.fields import labelled_fields, normalize_validity
from scrapers.extract.links import attachments, base_url, body_images, links
from scrapers.extract.model import Attachment, Extracted, Kind, Link, Meta

log = logging.getLogger(__name__)
T = TypeVar("T")

CMS_META = {
    "articletitle": "article_title",
    "pubdate": "pub_date",
    "contentsource": "content_source",
    "columnname": "column_name",
    "sitename": "site_name",
    "siteidcode": "site_id_code",
}
_URL_DATE = re.compile(
    r"(?:/|t|_)((?:19|20)\d{2})[-/]?(\d{2})[-/]?(\d{2})(?=[/_.]|\d)|/((?:19|20)\d{2})-?(\d{2})/(\d{2})/"
)


def _safe(step: Callable[[], T], default: T) -> T:
    try:
        return step()
    except Exception:  # one broken part of a page must not lose the rest of it
        log.debug("extraction step failed", exc_info=True)
        return default


def _cms_meta(tree: LexborHTMLParser) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.css("meta[name]"):
        key = CMS_META.get((node.attributes.get("name") or "").strip().lower())
        value = squash(node.attributes.get("content"))
        if key and value and key not in out:
            out[key] = value
    return out


def _url_date(url: str) -> date | None:
    m = _URL_DATE.search(url)
    if not m:
        return None
    y, mo, d = (g for g in m.groups() if g is not None)
    return parse_date(f"{y}-{mo}-{d}")


def _date_near_title(page_lines: list[str], title: str) -> date | None:
    """News templates print the date right under the heading, often without a label."""
    key = title[:12]
    for i, line in enumerate(page_lines):
        if key and key in line:
            for nearby in page_lines[i : i + 4]:
                found = parse_date(nearby.replace(title, ""))
                if found:
                    return found
    return None


def _doc_no_on_top(text_lines: list[str]) -> str | None:
    """A 文号 printed on its own line at the head of the body (广州市人民政府令 / 第179号 may take two lines)."""
    head = text_lines[:5]
    for i, line in enumerate(head):
        for candidate in (line, line + (head[i + 1] if i + 1 < len(head) else "")):
            doc = parse_doc_no(candidate) if len(candidate) <= 40 else None
            if doc is not None and len(candidate) - len(doc.raw) <= 12:
                return doc.raw
    return None


def _body_start(page_lines: list[str], text_lines: list[str]) -> int | None:
    """Where the main text begins among the page's lines (None when it cannot be told)."""
    if not text_lines:
        return None
    for i, line in enumerate(page_lines):
        if line == text_lines[0] and (len(text_lines) < 2 or text_lines[1] in page_lines[i + 1 : i + 4]):
            return i
    return None


def _column(cms: dict[str, str], crumbs: list[str], title: str) -> str | None:
    if cms.get("column_name"):
        return cms["column_name"]
    trail = [c for c in crumbs if c != title and c not in ("正文", "详情", "内容")]
    return trail[-1] if trail else None


def extract(html: str, url: str) -> Extracted:
    """Title, main text, dates, metadata, attachments, links and kind of one page."""
    tree = _safe(lambda: parse(html or ""), None)
    if tree is None:
        return Extracted(url=url)
    cms: dict[str, str] = _safe(lambda: _cms_meta(tree), {})
    page_lines: list[str] = _safe(lambda: lines(tree.body or tree.root), [])
    crumbs: list[str] = _safe(lambda: breadcrumb(tree), [])
    base = _safe(lambda: base_url(tree, url), url)
    all_links: list[Link] = _safe(lambda: links(tree, base), [])  # before the noise inside the body is removed
    files: list[Attachment] = _safe(lambda: attachments(tree, base), [])
    body = _safe(lambda: find_body(tree), None)
    if body is not None:
        _safe(lambda: remove_noise(body), None)
        files, all_links = _with_images(files, all_links, _safe(lambda: body_images(body, base), []))
    text_lines: list[str] = _safe(lambda: lines(body), [])
    start = _body_start(page_lines, text_lines)
    found: dict[str, str] = _safe(lambda: labelled_fields(page_lines, body_start=start), {})
    has_meta_block = sum(1 for k in ("index_no", "doc_no", "issuer", "written_date") if k in found) >= 2
    title = _title(tree, cms, found if has_meta_block else {})
    top_doc_no = _doc_no_on_top(text_lines)
    column = _column(cms, crumbs, title)
    text = "\n".join(text_lines)
    evidence = Evidence(
        url=url,
        title=title,
        column=column,
        breadcrumb=tuple(crumbs),
        text=text,
        has_meta_block=has_meta_block,
        doc_no_on_top=top_doc_no is not None,
    )
    other: Kind = "other"
    kind = _safe(lambda: classify(tree, evidence), other)
    return Extracted(
        url=url,
        kind=kind,
        title=title,
        text=text,
        column=column,
        breadcrumb=tuple(crumbs),
        published_at=_published(url, found, cms, page_lines, title, listing=kind == "column"),
        attachments=tuple(files),
        links=tuple(all_links),
        meta=_meta(found, cms, doc_no_raw=found.get("doc_no") or top_doc_no),
    )


def _with_images(
    files: list[Attachment], all_links: list[Link], images: list[Attachment]
) -> tuple[list[Attachment], list[Link]]:
    """Images in the body are attachments too, and links to check (never pages to crawl)."""
    known = {a.url for a in files}
    linked = {link.url for link in all_links}
    new = [i for i in images if i.url not in known]
    return files + new, all_links + [Link(url=i.url, text=i.name) for i in new if i.url not in linked]


def _title(tree: LexborHTMLParser, cms: dict[str, str], fields: dict[str, str]) -> str:
    """The CMS's article title, a metadata block's 标题, else the best of <title> and the headings."""
    no_titles: tuple[str, list[str]] = ("", [])
    title_tag, headings = _safe(lambda: title_candidates(tree), no_titles)
    return squash(cms.get("article_title") or fields.get("title") or pick_title(title_tag, headings))


def _published(
    url: str, found: dict[str, str], cms: dict[str, str], page_lines: list[str], title: str, *, listing: bool
) -> date | None:
    return (
        parse_date(found.get("published_date"))
        or parse_date(cms.get("pub_date"))
        or parse_date(found.get("date"))
        # a list page's first dated line is its newest item, not its own date
        or (None if listing else _safe(lambda: _date_near_title(page_lines, title), None))
        or _url_date(url)
    )


def _meta(found: dict[str, str], cms: dict[str, str], *, doc_no_raw: str | None) -> Meta:
    doc_no = parse_doc_no(doc_no_raw)
    return Meta(
        index_no=found.get("index_no"),
        theme=found.get("theme"),
        issuer=found.get("issuer"),
        written_date=parse_date(found.get("written_date")),
        published_date=parse_date(found.get("published_date")),
        doc_no=doc_no_raw,
        doc_no_normalized=doc_no.normalized if doc_no else None,
        validity=normalize_validity(found.get("validity") or ""),
        article_title=cms.get("article_title"),
        pub_date=cms.get("pub_date"),
        content_source=cms.get("content_source") or found.get("source"),
        column_name=cms.get("column_name"),
        site_name=cms.get("site_name"),
        site_id_code=cms.get("site_id_code"),
    )
