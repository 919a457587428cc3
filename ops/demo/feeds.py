"""RSS, sitemap and robots.txt of the demo sites, and the small but valid attachment files they link."""

from __future__ import annotations

import io
import zipfile
from email.utils import format_datetime
from xml.sax.saxutils import escape

from ops.demo.model import Attachment, Page, SiteContent
from ops.demo.render import make_page, to_utc

RSS_ITEMS = 20
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def rss(content: SiteContent, base: str) -> Page:
    """RSS 2.0 of the latest items; always UTF-8, since XML parsers rarely accept GBK."""
    latest = sorted(content.articles(), key=lambda a: a.published, reverse=True)[:RSS_ITEMS]
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{a.path}</link>"
        f"<description>{escape(''.join(a.paragraphs)[:120])}</description>"
        f"<category>{escape(a.column.name)}</category>"
        f"<pubDate>{format_datetime(to_utc(a.published), usegmt=True)}</pubDate>"
        f'<guid isPermaLink="true">{base}{a.path}</guid></item>\n'
        for a in latest
    )
    newest = to_utc(latest[0].published)
    spec = content.spec
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{escape(spec.name)}</title><link>{base}/</link>"
        f"<description>{escape(spec.name)}最新信息</description><language>zh-cn</language>"
        f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>\n{items}</channel></rss>\n"
    )
    return make_page(text, "utf-8", newest, kind="application/rss+xml")


def sitemap(pages: dict[str, Page], base: str) -> Page:
    urls = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{page.last_modified:%Y-%m-%d}</lastmod></url>\n"
        for path, page in pages.items()
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    )
    return make_page(text, "utf-8", max(p.last_modified for p in pages.values()), kind="application/xml")


def robots(base: str, with_sitemap: bool) -> str:
    # Disallow first: Python's robotparser applies the first rule that matches.
    lines = ["User-agent: *", "Disallow: /admin/", "Allow: /"]
    if with_sitemap:
        lines.append(f"Sitemap: {base}/sitemap.xml")
    return "\n".join(lines) + "\n"


def attachment_bytes(att: Attachment) -> bytes:
    if att.ext == "pdf":
        return pdf(f"yiwang demo attachment {att.path}")
    if att.ext == "docx":
        return _docx(att.title)
    return _xlsx(att.title)


def pdf(line: str) -> bytes:
    """A one-page PDF with one line of ASCII text (demo attachments and open-data files)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _zip(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


_CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _docx(title: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    return _zip(
        {
            "[Content_Types].xml": f'{_CT}<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "_rels/.rels": f'{_CT}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="word/document.xml"/></Relationships>',
            "word/document.xml": f'{_CT}<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>{escape(title)}</w:t>'
            "</w:r></w:p></w:body></w:document>",
        }
    )


def _xlsx(title: str) -> bytes:
    s = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    cells = [title, "序号", "姓名", "金额（元）"]
    rows = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}" t="inlineStr"><is><t>{escape(v)}</t></is></c></row>'
        for i, v in enumerate(cells)
    )
    ox = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return _zip(
        {
            "[Content_Types].xml": f'{_CT}<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ox}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ox}.worksheet+xml"/></Types>',
            "_rels/.rels": f'{_CT}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'{_CT}<workbook xmlns="{s}" xmlns:r="{_DOC}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": f'{_CT}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": f'{_CT}<worksheet xmlns="{s}"><sheetData>{rows}</sheetData></worksheet>',
        }
    )
