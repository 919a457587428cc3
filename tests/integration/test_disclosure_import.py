"""Bulk import of CSV (UTF-8 and GBK) and XLSX: every bad row reported with its line and reason, good rows kept,
a second import of the same file changes nothing, a changed row becomes a revision, roll-ups follow."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import openpyxl
import pytest

from core import disclosure as dx
from core.bus import Bus
from core.errors import Invalid, NotFound
from core.settings import Settings
from ops.cli.disclosure import import_files, load_demo, render
from tests.integration.disclosure_fixtures import funds_at, load_tree, metric_at

pytestmark = pytest.mark.integration

CITY = "3302"
C, D1, T1 = "330200000000", "330202000000", "330202001000"
V1, V2, V3, V4 = "330202001201", "330202001202", "330202002201", "330205001001"
NOW = datetime(2024, 7, 1, tzinfo=UTC)
ITEM_HEADER = ["外部编号", "单位代码", "乡镇代码", "类别", "期间", "日期", "标题", "内容"]


@pytest.fixture(scope="module")
async def units(pg_pool: asyncpg.Pool) -> list[str]:
    return await load_tree(pg_pool, CITY)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def reasons(report: dx.ImportReport) -> dict[int, str]:
    return {e.line: e.reason for e in report.errors}


async def test_items_from_a_gbk_file_bad_rows_reported_good_rows_kept_and_idempotent(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str], tmp_path: Path
) -> None:
    rows = [
        ["i1", V1, T1, "财务", "2024-03", "2024-03-31", "三月收支", "收入"],  # 2 good
        ["i2", V2, "", "村务", "2024Q1", "2024-02-01", "村民会议", "决议"],  # 3 good
        ["i3", "330202009201", "", "财务", "2024-03", "2024-03-01", "x", ""],  # 4 unknown unit
        ["i4", V3, T1, "财务", "2024-03", "2024-03-01", "x", ""],  # 5 village under the wrong township
        ["i5", V1, "", "财务", "2024-03", "2024-04-01", "x", ""],  # 6 date out of period
        ["i1", V1, "", "财务", "2024-04", "2024-04-01", "x", ""],  # 7 duplicate external id
        ["", V1, "", "财务", "2024-04", "2024-04-01", "x", ""],  # 8 no external id
        ["i6", V1, "", "八卦", "2024-04", "2024-04-01", "x", ""],  # 9 unknown category
        ["i7", V4, "", "党务", "2024", "2024-12-01", "年度党建", ""],  # 10 good
    ]
    path = write_csv(tmp_path / "items.csv", ITEM_HEADER, rows, "gbk")
    report = await dx.import_file(pool=pg_pool, bus=bus, path=path, now=NOW)
    assert (report.kind, report.encoding, report.rows, report.created) == ("items", "gb18030", 9, 3)
    found = reasons(report)
    assert sorted(found) == [4, 5, 6, 7, 8, 9]
    assert "unknown unit code 330202009201" in found[4]
    assert "a village under the wrong township" in found[5]
    assert "outside the period 2024-03" in found[6]
    assert "appears again (first on line 2)" in found[7]
    assert "external id is empty" in found[8]
    assert "unknown category" in found[9]
    assert [await metric_at(pg_pool, u, "items") for u in (V1, T1, D1, C)] == [1, 2, 2, 3]

    again = await dx.import_file(pool=pg_pool, bus=bus, path=path, now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows[0][7] = "收入（更正）"
    write_csv(path, ITEM_HEADER, rows, "gbk")
    changed = await dx.import_file(pool=pg_pool, bus=bus, path=path, now=NOW)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    page = await dx.list_items(pool=pg_pool, unit=V1, category="财务", period="2024Q1", offset=0, limit=10)
    assert [(i.external_id, i.revision, i.body) for i in page.items] == [("i1", 2, "收入（更正）")]
    assert await metric_at(pg_pool, C, "items") == 3


async def test_funds_from_xlsx_with_merged_cells_formulas_and_bad_amounts(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["外部编号", "单位代码", "项目名称", "项目类别", "资金来源", "金额", "阶段", "年度"])
    ws.append(["x1", V1, "道路硬化", "基础设施", "区级", 120000, "实施", 2024])  # 2 good
    ws.append(["x2", V2, "水渠整治", "基础设施", "镇级", "=1+1", "立项", 2024])  # 3 formula
    ws.append(["x3", V2, "路灯", "基础设施", "市级", -5, "立项", 2024])  # 4 negative
    ws.append(["x4", V2, "路灯", "基础设施", "市级", "五万", "立项", 2024])  # 5 not a number
    ws.append(["x5", V3, "广场", "公共服务", "镇级", 30000, "立项", 2024])  # 6 merged with 7
    ws.append(["x6", V3, "广场", "公共服务", "镇级", 30000, "立项", 2024])  # 7
    ws.merge_cells("C6:C7")
    ws.append(["x7", T1, "广场", "公共服务", "镇级", 30000, "立项", 2024])  # 8 not a village
    ws.append(["x8", V4, "便民站", "公共服务", "区级", "80000.50", "结算", 2024])  # 9 good
    path = tmp_path / "funds.xlsx"
    book.save(path)
    report = await dx.import_file(pool=pg_pool, bus=None, path=path, now=NOW)
    found = reasons(report)
    assert (report.kind, report.created, sorted(found)) == ("funds", 2, [3, 4, 5, 6, 7, 8])
    assert "formula" in found[3] and "at least 0" in found[4] and "not a number" in found[5]
    assert "C6:C7 are merged" in found[6] and "C6:C7 are merged" in found[7]
    assert "fund projects, resources and assets belong to a 村社区" in found[8]
    assert await funds_at(pg_pool, C) == (2, Decimal("200000.50"), 0)
    assert await metric_at(pg_pool, C, "funds:stage:结算") == 1

    spend = write_csv(
        tmp_path / "spending.csv",
        ["外部编号", "项目编号", "支出金额", "支出日期", "收款方"],
        [
            ["p1", "x1", "50000", "2024-05-01", "施工队"],
            ["p2", "nope", "1", "2024-05-01", ""],
            ["p3", "x1", "80000", "2024-06-01", "施工队"],
            ["p4", "x1", "100", "2024-07-05", "施工队"],  # after the import's day: a typo, or not paid yet
        ],
    )
    paid = await dx.import_file(pool=pg_pool, bus=None, path=spend, now=NOW)
    assert (paid.created, sorted(reasons(paid))) == (1, [3, 4, 5])
    assert "no fund project with external id nope" in reasons(paid)[3]
    assert "past its amount 120000" in reasons(paid)[4]
    assert "2024-07-05 is after today (2024-07-01)" in reasons(paid)[5]
    assert await funds_at(pg_pool, T1) == (1, Decimal(120000), Decimal(50000))
    assert (await dx.import_file(pool=pg_pool, bus=None, path=spend, now=NOW)).created == 0


async def test_a_districts_import_refuses_rows_outside_it_and_the_cli_reports_lines(
    settings: Settings, pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    rows = [["a1", V1, "", "资源", "耕地", "土地", "300", "0"], ["a2", V4, "", "资产", "办公楼", "房屋", "0", "900000"]]
    path = write_csv(
        tmp_path / "assets.csv", ["外部编号", "单位代码", "乡镇代码", "类型", "名称", "类别", "面积", "价值"], rows
    )
    reports = await import_files(settings, [path], unit=D1, kind=None, quiet=True, announce=False)
    assert (reports[0].created, reasons(reports[0])) == (
        1,
        {3: f"unit {V4} is not under {D1}, the unit this import is for"},
    )
    assert f"line 3: unit {V4} is not under {D1}" in render(path, reports[0])
    rollup = await dx.get_rollup(pool=pg_pool, code=C)
    assert (rollup["assets:资源"].count, rollup["assets:资源"].area) == (1, Decimal(300))
    assert "assets:资产" not in rollup


async def test_units_file_with_a_village_under_the_wrong_township(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    rows = [
        ["330202001203", "新建村", T1],
        ["330202001204", "错挂村", "330202002000"],
        ["330202003000", "丁镇", ""],
        ["330202003201", "丁村", "330202003000"],
    ]
    path = write_csv(tmp_path / "units.csv", ["区划代码", "名称", "上级代码"], rows, "gbk")
    report = await dx.import_file(pool=pg_pool, bus=None, path=path, now=NOW)
    assert (report.kind, report.created) == ("units", 3)
    assert "a 村社区 under the wrong 乡镇街道" in reasons(report)[3]
    assert (await dx.get_unit(pool=pg_pool, code="330202003201")).parent_code == "330202003000"


async def test_a_units_file_naming_a_code_twice_is_refused_whole_saying_which(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    """A spreadsheet with a village pasted twice (renamed the second time): refused naming the code, as a parent
    missing is, not an internal error of the database; nothing of the file is added."""
    rows = [["330202001205", "戊村", T1], ["330202001206", "己村", T1], ["330202001205", "戊村（新）", T1]]
    path = write_csv(tmp_path / "twice.csv", ["区划代码", "名称", "上级代码"], rows)
    with pytest.raises(Invalid, match="unit 330202001205 is given twice"):
        await dx.import_file(pool=pg_pool, bus=None, path=path, now=NOW)
    with pytest.raises(NotFound):
        await dx.get_unit(pool=pg_pool, code="330202001206")


async def test_the_demo_loads_through_the_importer_and_its_rollups_hold(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    reports = await load_demo(settings, townships=2, items_per_village=2)
    assert [r.kind for r in reports] == ["units", "items", "funds", "spending", "assets"]
    assert not [e for r in reports for e in r.errors]
    city = await dx.get_rollup(pool=pg_pool, code="510100000000")
    assert city["items"].count == reports[1].created and city["funds"].count == reports[2].created
    stored = {k: v for k, v in (await dx.stored_rollups(pool=pg_pool)).items() if k[0].startswith("5101")}
    assert stored == {k: v for k, v in (await dx.computed_rollups(pool=pg_pool)).items() if k[0].startswith("5101")}


async def test_a_batch_with_new_changed_and_refused_rows_keeps_the_good_ones_and_the_rollups_hold(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    first = [
        ["b1", V1, "", "财务", "2024-05", "2024-05-31", "五月收支", "收入"],
        ["b2", V2, "", "村务", "2024-05", "2024-05-02", "五月会议", "决议"],
    ]
    path = write_csv(tmp_path / "b.csv", ITEM_HEADER, first)
    assert (await dx.import_file(pool=pg_pool, bus=None, path=path, now=NOW)).created == 2
    before = await metric_at(pg_pool, C, "items")
    second = [
        ["b1", V1, "", "村务", "2024-05", "2024-05-31", "五月收支", "收入（更正）"],  # 2 changed, another category
        ["b2", V1, "", "村务", "2024-05", "2024-05-02", "五月会议", "决议"],  # 3 refused when written: V2's item
        ["b3", V1, "", "财务", "2024-05", "2024-05-20", "补记", ""],  # 4 new
    ]
    report = await dx.import_file(pool=pg_pool, bus=None, path=write_csv(path, ITEM_HEADER, second), now=NOW)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert list(reasons(report)) == [3] and f"is an item of unit {V2}, not {V1}" in reasons(report)[3]
    page = await dx.list_items(pool=pg_pool, unit=V1, category="村务", period="2024-05", offset=0, limit=10)
    assert [(i.external_id, i.revision, i.body) for i in page.items] == [("b1", 2, "收入（更正）")]
    assert await metric_at(pg_pool, C, "items") == before + 1
    city = {k: v for k, v in (await dx.stored_rollups(pool=pg_pool)).items() if k[0].startswith(CITY)}
    assert city == {k: v for k, v in (await dx.computed_rollups(pool=pg_pool)).items() if k[0].startswith(CITY)}


async def test_items_still_name_stored_units_and_their_revisions_go_with_them(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    """Migration 0030 checks per statement what two foreign keys checked per row: any writer, not only imports."""
    path = write_csv(
        tmp_path / "k.csv", ITEM_HEADER, [["import-k1", V3, "", "财务", "2024-06", "2024-06-30", "六月收支", ""]]
    )
    assert (await dx.import_file(pool=pg_pool, bus=None, path=path, now=NOW)).created == 1
    item_id = await pg_pool.fetchval("select id from disclosure_items where external_id = 'import-k1'")
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="names unit 330202009201, which is not stored"):
        await pg_pool.execute(
            """insert into disclosure_items (external_id, unit_code, board, category, period, period_start,
                   period_end, dated, title, body) select null, unnest($1::text[]), '基层公开', '财务', '2024',
                   '2024-01-01', '2024-12-31', '2024-02-01', 'x', ''""",
            [V3, "330202009201"],
        )
    with pytest.raises(asyncpg.ForeignKeyViolationError, match=f"unit {V3} is still named by disclosure items"):
        await pg_pool.execute("delete from disclosure_units where code = $1", V3)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="has revisions"):
        await pg_pool.execute("update disclosure_items set id = gen_random_uuid() where id = $1", item_id)
    await pg_pool.execute("delete from disclosure_items where id = $1", item_id)
    assert await pg_pool.fetchval("select count(*) from disclosure_item_revisions where item_id = $1", item_id) == 0


async def test_a_funds_file_imported_again_never_moves_a_project_back_a_stage(
    pg_pool: asyncpg.Pool, units: list[str], tmp_path: Path
) -> None:
    """The office imports its register, an editor moves a project on to 实施, the register is imported again: the
    project stays at 实施 ("importing a file again changes nothing"); a row naming an earlier stage is its error."""
    header = ["外部编号", "单位代码", "项目名称", "项目类别", "资金来源", "金额", "年度"]
    register = write_csv(
        tmp_path / "register.csv", header, [["reg-1", V2, "村道维修", "基础设施", "镇级", "6000", "2024"]]
    )
    first = await dx.import_file(pool=pg_pool, bus=None, path=register, now=NOW)
    assert (first.created, first.errors) == (1, [])
    fund_id = await pg_pool.fetchval("select id from disclosure_funds where external_id = 'reg-1'")
    await dx.move_stage(pool=pg_pool, fund_id=fund_id, stage="实施", on=NOW.date())
    again = await dx.import_file(pool=pg_pool, bus=None, path=register, now=NOW)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 1, [])
    assert (await dx.get_fund(pool=pg_pool, fund_id=fund_id)).stage == "实施"
    back = write_csv(
        tmp_path / "back.csv",
        [*header, "阶段"],
        [["reg-1", V2, "村道维修", "基础设施", "镇级", "6000", "2024", "立项"]],
    )
    refused = await dx.import_file(pool=pg_pool, bus=None, path=back, now=NOW)
    assert "stages only move on" in reasons(refused)[2]
    assert (await dx.get_fund(pool=pg_pool, fund_id=fund_id)).stage == "实施"
