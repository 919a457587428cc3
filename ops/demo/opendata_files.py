"""The files of the demo catalogue's resources: small made-up tables as CSV, XLSX and JSON, a PDF, and the
description of a dataset's API, so that every demo resource is a file the platform itself serves."""

from __future__ import annotations

import io
import json
import random
import uuid
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ops.demo.feeds import pdf

HEADER = ["序号", "名称", "所在区", "年份", "数量"]
DISTRICTS = ["道里区", "南岗区", "香坊区", "道外区", "松北区", "平房区", "呼兰区", "阿城区"]
EXTENSIONS = {"CSV": "csv", "XLSX": "xlsx", "JSON": "json", "PDF": "pdf", "API": "json"}
MIMETYPES = {
    "CSV": "text/csv",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "JSON": "application/json",
    "PDF": "application/pdf",
    "API": "application/json",
}


@dataclass(frozen=True)
class DemoFile:
    """One resource of the demo: a file made up from its seed (`body`), kept as an upload."""

    dataset: str
    position: int
    format: str
    topic: str
    year: int
    seed: int

    @property
    def id(self) -> str:  # the same at every load, so a reload replaces the same folder
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang-demo:{self.dataset}:{self.position}"))

    @property
    def filename(self) -> str:
        suffix = "-api" if self.format == "API" else ""
        return f"{self.dataset}-{self.position}{suffix}.{EXTENSIONS[self.format]}"


def rows(topic: str, year: int, seed: int) -> list[list[str]]:
    """A small table of the dataset's topic, the same for the same seed."""
    rng = random.Random(seed)
    return [
        [str(i), f"{topic}{i}", rng.choice(DISTRICTS), str(year), str(rng.randint(1, 5000))]
        for i in range(1, rng.randint(8, 40) + 1)
    ]


def body(fmt: str, *, dataset: str, topic: str, year: int, seed: int, actions: str) -> bytes:
    """The file of a resource of format `fmt`; `actions` is the CKAN Action API's URL (`…/api/3/action`), which
    the description of a dataset's API names."""
    table = rows(topic, year, seed)
    if fmt == "CSV":
        return ("\ufeff" + "\n".join(",".join(r) for r in [HEADER, *table]) + "\n").encode("utf-8")
    if fmt == "JSON":
        return json.dumps([dict(zip(HEADER, r, strict=True)) for r in table], ensure_ascii=False).encode()
    if fmt == "XLSX":
        return xlsx([HEADER, *table])
    if fmt == "PDF":
        return pdf(f"yiwang demo file: {len(table)} rows of made-up data ({year})")
    described = {
        "说明": f"{topic}数据接口（演示数据）：CKAN Action API，读取无需密钥",
        "package_show": f"{actions}/package_show?id={dataset}",
        "package_search": f"{actions}/package_search?fq=name:{dataset}",
    }
    return json.dumps(described, ensure_ascii=False, indent=2).encode()


_CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OX = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx(table: list[list[str]]) -> bytes:
    """One sheet of inline strings (what openpyxl and spreadsheet software read)."""
    sheet_rows = "".join(
        f'<row r="{y}">'
        + "".join(f'<c r="{chr(65 + x)}{y}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for x, v in enumerate(row))
        + "</row>"
        for y, row in enumerate(table, start=1)
    )
    parts = {
        "[Content_Types].xml": f'{_CT}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OX}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OX}.worksheet+xml"/></Types>',
        "_rels/.rels": f'{_CT}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{_CT}<workbook xmlns="{_SHEET}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{_CT}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'{_CT}<worksheet xmlns="{_SHEET}"><sheetData>{sheet_rows}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()
