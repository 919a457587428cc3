"""Reading uploads: encodings detected, ragged rows named by line, GeoJSON properties and bbox, types inferred."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from core.errors import Invalid
from core.opendata.columns import convert, misfit_error
from core.opendata.tabular import read_csv, read_geojson, read_table
from core.opendata.tokens import document_text, tsquery
from core.opendata.types import check_schema, infer

TEXT = "名称,数量,日期,比例,开放\n哈尔滨站,12,2024-01-02,0.5,true\n南岗区,,2024/3/4,7,false\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_encodings(data: bytes, encoding: str) -> None:
    table = read_csv(data)
    assert table.encoding == encoding and table.header == ["名称", "数量", "日期", "比例", "开放"]
    assert table.rows[0][0] == "哈尔滨站" and table.rows[1][1] is None


def test_ragged_rows_are_named_by_line() -> None:
    with pytest.raises(Invalid) as caught:
        read_csv(b"a,b\n1,2\n3\n\n4,5,6\n7,8\n")
    assert "line 3: 1 cells" in caught.value.message and "line 5: 3 cells" in caught.value.message


def test_headers_made_safe() -> None:
    table = read_csv(b"a,,a,_id\n1,2,3,4\n")
    assert table.header == ["a", "field_2", "a_2", "f_id"]


def test_types_inferred_and_converted() -> None:
    table = read_csv(TEXT.encode())
    schema = infer(table.header, table.rows)
    assert [f["type"] for f in schema["fields"]] == ["string", "integer", "date", "number", "boolean"]
    done = convert(table.rows, schema)
    assert [c[1] for c in done.columns] == ["南岗区", None, date(2024, 3, 4), Decimal(7), False]
    assert list(done.records())[1] == (2, "南岗区", None, date(2024, 3, 4), Decimal(7), False, "南岗 岗区")


def test_override_schema() -> None:
    table = read_csv(TEXT.encode())
    fields = [{"name": n, "type": "string"} for n in table.header]
    schema = check_schema({"fields": fields}, table.header)
    assert convert(table.rows, schema).columns[1] == ["12", None]
    wrong = check_schema({"fields": [*fields[:1], {"name": "数量", "type": "date"}, *fields[2:]]}, table.header)
    done = convert(table.rows, wrong)
    assert misfit_error(done, table.rows, table.lines, wrong).message == "line 2: '数量' is '12', not a date"
    with pytest.raises(Invalid, match="not one of"):
        check_schema({"fields": [{"name": n, "type": "geopoint"} for n in table.header]}, table.header)


def test_geojson_properties_and_bbox() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [126.5, 45.7]},
                "properties": {"名": "甲"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[126, 45], [127, 45], [127, 46], [126, 45]]]},
                "properties": {"名": "乙", "级": 2},
            },
        ],
    }
    table = read_geojson(json.dumps(doc).encode())
    assert table.header == ["名", "级"] and table.rows == [["甲", None], ["乙", "2"]]
    assert table.bbox == (126.0, 45.0, 127.0, 46.0)
    with pytest.raises(Invalid, match="FeatureCollection"):
        read_geojson(b'{"type": "Point"}')


def test_unknown_format_and_empty_file() -> None:
    with pytest.raises(Invalid, match="not 'PDF'"):
        read_table(b"%PDF", "PDF")
    with pytest.raises(Invalid, match="empty"):
        read_csv(b"")


def test_tokens_are_bigrams_and_words() -> None:
    assert document_text("公交线路 Bus 2024") == "公交 交线 线路 bus 2024"
    assert tsquery("线路") == "'线路'" and tsquery("!!") is None
