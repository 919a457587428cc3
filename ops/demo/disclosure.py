"""The disclosure demo: the real 市 / 区县 / 乡镇街道 rows of 成都市 (ops/demo/chengdu_divisions.json, an extract of
the WTFPL-licensed modood/Administrative-divisions-of-China data, 统计用区划代码 2023) with generated villages and
communities under each township, and generated items, fund projects, spending and collective assets. It writes
ordinary import files and imports them, so the demo goes the way a real office's data goes."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DIVISIONS = Path(__file__).with_name("chengdu_divisions.json")
VILLAGES_PER_TOWNSHIP = (8, 15)  # 261 townships: about 3,000 villages, as Chengdu has (3,037)
FIRST = "新和平安永丰兴隆红星金龙石桥青松白果柏杨桂花清泉龙潭双河三合五星光明胜利团结长林玉堂"
VILLAGE_WORDS = ("村", "社区")
ITEM_TITLES: dict[str, tuple[str, ...]] = {
    "党务": ("党员发展情况公示", "党组织换届选举结果公告", "党费收缴情况公示"),
    "政务": ("低保对象名单公示", "高龄津贴发放情况", "惠民政策落实情况"),
    "村(居)务": ("村民代表会议决议", "一事一议项目公示", "集体经济组织成员名单"),
    "财务": ("月度财务收支明细", "集体收入支出公开", "村级公益事业专项资金使用情况"),
    "三资": ("集体资产出租情况", "集体土地流转公示", "集体资源承包合同"),
    "组务": ("村民小组收益分配方案", "小组会议记录公开", "小组资金使用情况"),
}
FUND_CATEGORIES = ("基础设施", "产业发展", "公共服务", "人居环境", "社会治理")
FUND_NAMES = ("道路硬化", "水渠整治", "文化广场建设", "路灯安装", "垃圾分类亭", "便民服务站改造", "产业园配套")
STAGES = ("立项", "公示", "实施", "验收", "结算")
SOURCES = ("市", "区", "镇")


@dataclass(frozen=True)
class DemoFiles:
    """The import files the demo wrote, in the order they import."""

    units: Path
    items: Path
    funds: Path
    spending: Path
    assets: Path

    def in_order(self) -> list[Path]:
        return [self.units, self.items, self.funds, self.spending, self.assets]


def real_units() -> list[tuple[str, str]]:
    """(code, name) of 成都市, its 20 districts and counties and its 261 townships and streets."""
    return [(code, name) for code, name in json.loads(DIVISIONS.read_text(encoding="utf-8"))["units"]]


def villages(units: list[tuple[str, str]], rng: random.Random, per: tuple[int, int]) -> Iterator[tuple[str, str]]:
    """Villages under 镇/乡 (codes 2xx, as 村委会 have) and communities under 街道 (001-199)."""
    for code, name in units:
        if code[9:] != "000" or code[6:9] == "000":
            continue
        street = name.endswith("街道")
        for n in range(rng.randint(*per)):
            number = n + 1 if street else 200 + n + 1
            word = VILLAGE_WORDS[1] if street or rng.random() < 0.2 else VILLAGE_WORDS[0]
            yield f"{code[:9]}{number:03d}", f"{rng.choice(FIRST)}{rng.choice(FIRST)}{word}"


def _write(path: Path, header: list[str], rows: Iterator[list[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def _months(year: int) -> list[tuple[str, date]]:
    return [(f"{year}-{m:02d}", date(year, m, 28)) for m in range(1, 13)]


def _items(village_codes: list[str], rng: random.Random, per_village: int) -> Iterator[list[Any]]:
    categories = list(ITEM_TITLES)
    months = _months(2024)
    for code in village_codes:
        for n in range(per_village):
            category = categories[n % len(categories)]
            if category == "财务":
                period, day = months[n % 12]
            else:
                q = n % 4 + 1
                period, day = f"2024Q{q}", date(2024, 3 * q, 15)
            title = rng.choice(ITEM_TITLES[category])
            body = f"{title}：经村民代表会议审议，现予公开，公开期7天。如有异议请向村务监督委员会反映。"
            yield [f"dx-{code}-{n}", code, category, period, day.isoformat(), f"{period} {title}", body]


def _funds(village_codes: list[str], rng: random.Random, per_village: int) -> Iterator[list[Any]]:
    for code in village_codes:
        for n in range(per_village):
            amount = rng.randrange(50_000, 2_000_000, 500)
            stage = rng.choice(STAGES)
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 300))
            yield [
                f"fund-{code}-{n}",
                code,
                f"{rng.choice(FUND_NAMES)}项目",
                rng.choice(FUND_CATEGORIES),
                rng.choice(SOURCES),
                f"{amount}.00",
                stage,
                2024,
                start.isoformat(),
            ]


def _spending(funds_csv: Path, rng: random.Random) -> Iterator[list[Any]]:
    with funds_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["stage"] in ("立项", "公示"):
                continue
            amount = int(float(row["amount"]))
            for n in range(rng.randint(1, 3)):
                paid = amount // 4
                yield [
                    f"pay-{row['external_id']}-{n}",
                    row["external_id"],
                    f"{paid}.00",
                    f"2024-{rng.randint(3, 11):02d}-{rng.randint(1, 28):02d}",
                    "施工单位",
                    f"第{n + 1}期工程款",
                ]


def _assets(village_codes: list[str], rng: random.Random) -> Iterator[list[Any]]:
    for code in village_codes:
        yield [f"res-{code}", code, "资源", "集体耕地", "土地", f"{rng.randint(200, 3000)}.00", "0"]
        yield [f"ast-{code}", code, "资产", "村委会办公楼", "房屋", "0", f"{rng.randint(300_000, 3_000_000)}.00"]


def write_demo(
    folder: Path,
    *,
    seed: int = 15,
    items_per_village: int = 12,
    funds_per_village: int = 4,
    villages_per_township: tuple[int, int] = VILLAGES_PER_TOWNSHIP,
    townships: int | None = None,
) -> DemoFiles:
    """Write the demo's import files into `folder` (townships: only the first N, for small runs)."""
    rng = random.Random(seed)
    real = real_units()
    if townships is not None:
        kept = [u for u in real if u[0][9:] == "000" and u[0][6:9] != "000"][:townships]
        counties = {c[:6] for c, _ in kept}
        real = [u for u in real if u[0][6:] == "000000" and (u[0][4:6] == "00" or u[0][:6] in counties)] + kept
    made = list(villages(real, rng, villages_per_township))
    codes = [c for c, _ in made]
    files = DemoFiles(*(folder / f"{name}.csv" for name in ("units", "items", "funds", "spending", "assets")))
    _write(files.units, ["code", "name"], iter([[c, n] for c, n in [*real, *made]]))
    _write(
        files.items,
        ["external_id", "unit_code", "category", "period", "dated", "title", "body"],
        _items(codes, rng, items_per_village),
    )
    _write(
        files.funds,
        ["external_id", "unit_code", "name", "category", "source", "amount", "stage", "year", "stage_on"],
        _funds(codes, rng, funds_per_village),
    )
    _write(
        files.spending,
        ["external_id", "fund_external_id", "amount", "spent_on", "payee", "note"],
        _spending(files.funds, rng),
    )
    _write(files.assets, ["external_id", "unit_code", "kind", "name", "category", "area", "value"], _assets(codes, rng))
    return files
