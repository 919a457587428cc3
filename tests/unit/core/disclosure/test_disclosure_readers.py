"""Import files: GBK CSV read whole, unreadable lines and XLSX merged cells or formulas as row errors."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from core.disclosure.readers import read_csv, read_file
from core.errors import Invalid


def test_a_gbk_file_is_read_as_what_it_says() -> None:
    data = "外部编号,单位代码,类别\nx1,510104021201,财务\n".encode("gbk")
    sheet = read_csv(data)
    assert sheet.encoding == "gb18030"
    assert sheet.header == ["外部编号", "单位代码", "类别"]
    assert next(sheet.rows).cells == {"外部编号": "x1", "单位代码": "510104021201", "类别": "财务"}


def test_a_line_neither_utf8_nor_gbk_is_that_lines_error_and_the_rest_is_kept() -> None:
    data = b"a,b\n" + "一,二\n".encode("gbk") + b"\xff\xfe\xff,1\n" + "三,四\n".encode()
    sheet = read_csv(data)
    rows = list(sheet.rows)
    assert sheet.encoding == "mixed"
    assert [r.line for r in rows if r.error] == [3]
    assert [r.cells for r in rows if not r.error] == [{"a": "一", "b": "二"}, {"a": "三", "b": "四"}]


def test_a_quoted_field_may_span_lines_and_line_numbers_stay_true() -> None:
    data = 'a,b\n1,"第一行\n第二行"\n2,x\n'.encode()
    rows = list(read_csv(data).rows)
    assert [(r.line, r.cells["a"], r.cells["b"]) for r in rows] == [(2, "1", "第一行\n第二行"), (4, "2", "x")]


def test_merged_cells_and_formulas_are_row_errors(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["external_id", "amount"])
    ws.append(["a", 1])
    ws.append(["b", "=SUM(B2:B2)"])
    ws.append(["c", 3])
    ws.append(["", 4])
    ws.merge_cells("A4:A5")
    ws.append(["f", 6])
    path = tmp_path / "funds.xlsx"
    book.save(path)
    rows = list(read_file(path).rows)
    errors = {r.line: r.error for r in rows if r.error}
    assert "formula" in errors[3] and "=SUM(B2:B2)" in errors[3]
    assert "A4:A5 are merged" in errors[4] and 5 in errors
    assert [r.cells["external_id"] for r in rows if not r.error] == ["a", "f"]


def test_other_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.doc"
    path.write_bytes(b"x")
    with pytest.raises(Invalid, match=r"reads \.csv and \.xlsx"):
        read_file(path)
