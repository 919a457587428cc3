"""IndexDocs from ../shared/corpus: Guangdong service guides, gov.cn policy pages and Guangzhou pages."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from core.search import IndexDoc
from core.textzh.docno import find_doc_nos, parse_doc_no
from scrapers.extract import extract

GUIDES = "guangdong-service-guides-clarencekong"
GOVCN = "govcn-policy-pages-zhouynf"
GUANGZHOU = "guangzhou-gov-pages-aizhengcetong"
_LEGAL = ("法人", "企业", "组织", "机关")


def _useful(value: object) -> str:
    text = str(value or "").strip()
    return "" if text in ("无", "null", "None") else text


def service_guides(corpus: Path) -> list[IndexDoc]:
    """One `service` document per guide, id `guide:<TASK_CODE>`."""
    docs = []
    for line in (corpus / GUIDES / "service_guides.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        objects = r.get("service_object_name") or []
        audience = ["个人"] if "自然人" in objects else []
        audience += ["法人"] if any(o.endswith(_LEGAL) for o in objects) else []
        parts = [
            r.get("CATANAME"),
            r.get("matter_type"),
            r.get("DEPT_NAME"),
            r.get("handle_location"),
            r.get("accept_standard"),
            "、".join(r.get("material_intro") or []),
            r.get("bear_paltform"),
        ]
        docs.append(
            IndexDoc(
                id=f"guide:{r['TASK_CODE']}",
                url=f"{r['URL']}#{r['TASK_CODE']}",
                title=r["TASK_NAME"],
                text="\n".join(_useful(p) for p in parts if _useful(p)),
                site="gdzwfw",
                kind="service",
                department=r.get("DEPT_NAME") or "",
                region=r.get("AREA_CODE_TEXT") or "",
                level=r.get("matter_level") or "",
                theme=[t for t in r.get("theme_category") or [] if t],
                audience=audience,
            )
        )
    return docs


def _page_doc(doc_id: str, site: str, html: str, url: str) -> IndexDoc:
    page = extract(html, url)
    doc_no = page.meta.doc_no or ""
    parsed = parse_doc_no(doc_no) if doc_no else None
    if parsed is None:
        found = find_doc_nos(page.title)
        parsed, doc_no = (found[0], found[0].raw) if found else (None, "")
    published = page.published_at or page.meta.published_date
    return IndexDoc(
        id=doc_id, url=url, title=page.title, text=page.text, site=site, kind=page.kind,
        published_at=published if isinstance(published, date) else None, doc_no=doc_no,
        doc_no_normalized=parsed.normalized if parsed else "", issuer=page.meta.issuer or "",
        theme=[page.meta.theme] if page.meta.theme else [],
    )  # fmt: skip


def govcn_pages(corpus: Path) -> list[IndexDoc]:
    """The 60 State Council pages, id `govcn:<record id>`."""
    root = corpus / GOVCN
    out = []
    for line in (root / "records.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        html = (root / r["html_file"]).read_text(encoding="utf-8")
        out.append(_page_doc(f"govcn:{r['id']}", "govcn", html, r["crawl_url"]))
    return out


def guangzhou_pages(corpus: Path) -> list[IndexDoc]:
    """The 47 Guangzhou pages, id `gz:<file number>` (the number prefix of the file name, e.g. gz:11b)."""
    out = []
    for path in sorted((corpus / GUANGZHOU / "html").glob("*.html")):
        html = path.read_text(encoding="utf-8", errors="replace")
        out.append(_page_doc(f"gz:{path.name.split('_')[0]}", "guangzhou", html, f"https://www.gz.gov.cn/{path.stem}"))
    return out


def corpus_docs(corpus: Path) -> list[IndexDoc]:
    return [*service_guides(corpus), *govcn_pages(corpus), *guangzhou_pages(corpus)]
