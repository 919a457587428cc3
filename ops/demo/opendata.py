"""A demo open-data catalogue of our own, shaped like Harbin's: 48 departments, the 14 domains, ~1,200 datasets
with resources, and a few tabular resources loaded into the datastore. Generated deterministically (seeded).

Every resource is a small made-up file kept as an upload and served by the API's download route: its link works
wherever the demo runs, and the daily link check (which checks links to elsewhere) finds nothing to fix."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from core.bus import Bus
from core.errors import NotFound
from core.opendata import resources, service
from core.opendata.models import FREQUENCIES
from core.opendata.tabular import read_csv, read_geojson
from core.settings import Settings
from ops.demo import opendata_files
from ops.demo.opendata_files import DemoFile

SEED = 14
# (slug, title, domains it files under)
DEPARTMENTS = [
    ("gaj", "市公安局", ["公共安全", "道路交通"]),
    ("jyj", "市教育局", ["教育科技", "民生服务"]),
    ("kjj", "市科学技术局", ["教育科技", "经济建设"]),
    ("gxj", "市工业和信息化局", ["经济建设", "教育科技"]),
    ("mzj", "市民政局", ["民生服务", "社会发展"]),
    ("sfj", "市司法局", ["公共安全", "信用服务"]),
    ("czj", "市财政局", ["财税金融", "经济建设"]),
    ("rsj", "市人力资源和社会保障局", ["民生服务", "社会发展"]),
    ("zrzyj", "市自然资源和规划局", ["资源环境", "城市建设"]),
    ("sthjj", "市生态环境局", ["资源环境", "卫生健康"]),
    ("zjj", "市住房和城乡建设局", ["城市建设", "民生服务"]),
    ("jtj", "市交通运输局", ["道路交通", "城市建设"]),
    ("slj", "市水务局", ["资源环境", "城市建设"]),
    ("nyj", "市农业农村局", ["农业农村", "经济建设"]),
    ("swj", "市商务局", ["经济建设", "信用服务"]),
    ("wlj", "市文化广电和旅游局", ["文化旅游", "社会发展"]),
    ("wjw", "市卫生健康委员会", ["卫生健康", "民生服务"]),
    ("tyjrj", "市退役军人事务局", ["民生服务", "社会发展"]),
    ("yjj", "市应急管理局", ["公共安全", "资源环境"]),
    ("sjj", "市审计局", ["财税金融", "机构团体"]),
    ("scjgj", "市市场监督管理局", ["信用服务", "经济建设"]),
    ("tjj", "市统计局", ["经济建设", "社会发展"]),
    ("ybj", "市医疗保障局", ["卫生健康", "民生服务"]),
    ("lyj", "市林业和草原局", ["资源环境", "农业农村"]),
    ("cgj", "市城市管理和综合执法局", ["城市建设", "公共安全"]),
    ("xfj", "市信访局", ["社会发展", "机构团体"]),
    ("jgswj", "市机关事务管理局", ["机构团体", "财税金融"]),
    ("yshj", "市营商环境建设监督局", ["信用服务", "经济建设"]),
    ("tyj", "市体育局", ["文化旅游", "社会发展"]),
    ("rfb", "市人民防空办公室", ["公共安全", "城市建设"]),
    ("sjy", "市大数据中心", ["机构团体", "教育科技"]),
    ("gjj", "市住房公积金管理中心", ["民生服务", "财税金融"]),
    ("qxj", "市气象局", ["资源环境", "农业农村"]),
    ("swsj", "市税务局", ["财税金融", "信用服务"]),
    ("yzj", "市邮政管理局", ["经济建设", "道路交通"]),
    ("dzj", "市地震局", ["公共安全", "资源环境"]),
    ("mzzj", "市民族宗教事务局", ["社会发展", "机构团体"]),
    ("fgw", "市发展和改革委员会", ["经济建设", "信用服务"]),
    ("gzw", "市国有资产监督管理委员会", ["经济建设", "财税金融"]),
    ("fl", "市妇女联合会", ["机构团体", "社会发展"]),
    ("cl", "市残疾人联合会", ["民生服务", "机构团体"]),
    ("gh", "市总工会", ["机构团体", "民生服务"]),
    ("twx", "共青团市委", ["机构团体", "教育科技"]),
    ("kx", "市科学技术协会", ["教育科技", "机构团体"]),
    ("hsh", "市红十字会", ["卫生健康", "机构团体"]),
    ("xsqj", "市乡村振兴局", ["农业农村", "社会发展"]),
    ("gtj", "市公共资源交易中心", ["信用服务", "财税金融"]),
    ("glj", "市公路事业发展中心", ["道路交通", "城市建设"]),
]
TOPICS = {
    "公共安全": ["派出所分布", "消防站点", "应急避难场所", "交通违法处理点", "危险化学品企业名录"],
    "民生服务": ["养老机构名录", "社区服务中心", "婚姻登记处", "便民服务网点", "低保救助统计"],
    "经济建设": ["规模以上工业企业", "招商引资项目", "重点建设项目", "开发区企业名录", "地区生产总值"],
    "教育科技": ["中小学校名录", "幼儿园名录", "高新技术企业", "科技成果登记", "职业培训机构"],
    "卫生健康": ["医疗机构名录", "药店分布", "疫苗接种点", "卫生监督信息", "医保定点机构"],
    "农业农村": ["农民专业合作社", "家庭农场名录", "农产品价格", "耕地保护统计", "农机购置补贴"],
    "资源环境": ["空气质量监测", "地表水水质", "重点排污单位", "森林资源统计", "降水量监测"],
    "道路交通": ["公交线路", "公交站点", "停车场分布", "出租车企业", "道路施工信息"],
    "社会发展": ["人口统计", "社会组织名录", "志愿服务组织", "统计年鉴指标", "就业登记统计"],
    "城市建设": ["房地产开发项目", "保障性住房", "城市道路名录", "供热单位名录", "建筑业企业资质"],
    "信用服务": ["行政许可信息", "行政处罚信息", "守信激励名单", "失信被执行人", "企业信用等级"],
    "财税金融": ["财政预算公开", "政府采购公告", "纳税信用A级纳税人", "银行网点分布", "地方债务信息"],
    "文化旅游": ["A级旅游景区", "图书馆名录", "星级饭店名录", "文化馆站", "体育场馆"],
    "机构团体": ["机关单位名录", "事业单位名录", "群团组织", "办事窗口", "政务服务事项"],
}
VARIANTS = [
    "",
    "（道里区）",
    "（南岗区）",
    "（香坊区）",
    "（道外区）",
    "（松北区）",
    "（平房区）",
    "（呼兰区）",
    "（阿城区）",
]
YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025]
LICENSES = [
    ("cc-by", "Creative Commons Attribution"),
    ("odc-pddl", "开放数据共享许可"),
    ("gov-open", "政府数据开放协议"),
]
FORMATS = ["CSV", "XLSX", "JSON", "PDF", "API"]
HARBIN_BBOX = (125.70, 45.50, 127.00, 46.10)


@dataclass(frozen=True)
class Demo:
    """The catalogue to load: departments, package dictionaries, their files, and tables to load by dataset name."""

    departments: list[tuple[str, str]]
    packages: list[dict[str, Any]]
    tables: dict[str, tuple[str, bytes]]  # dataset name -> (format, file bytes)
    files: dict[str, list[DemoFile]] = field(default_factory=dict)  # dataset name -> its resources' files


def _files(rng: random.Random, name: str, topic: str, year: int) -> list[DemoFile]:
    return [
        DemoFile(dataset=name, position=n, format=fmt, topic=topic, year=year, seed=rng.randint(2_000, 5_000_000))
        for n, fmt in enumerate(rng.sample(FORMATS, rng.randint(1, 3)), start=1)
    ]


def _package(rng: random.Random, index: int, dept: tuple[str, str, list[str]], domain: str) -> dict[str, Any]:
    """A package dictionary; its resources' files under the key `files` (taken out by `build`)."""
    slug, title, _ = dept
    topic = rng.choice(TOPICS[domain])
    year = rng.choice(YEARS)
    name = f"{slug}-{index:04d}"
    start = date(year, 1, 1)
    license_id, license_title = rng.choice(LICENSES)
    return {
        "name": name,
        "title": f"{year}年{topic}{rng.choice(VARIANTS)}",
        "notes": f"{title}发布的{topic}数据，覆盖{year}年，按{domain}领域归类，供社会公众和开发者下载使用。",
        "owner_org": slug,
        "groups": [{"name": service.DOMAIN_SLUGS[domain]}],
        "tags": [topic, domain, str(year)],
        "license_id": license_id,
        "license_title": license_title,
        "update_frequency": rng.choice(FREQUENCIES),
        "temporal_start": start.isoformat(),
        "temporal_end": (start + timedelta(days=364)).isoformat(),
        "spatial_coverage": "哈尔滨市",
        "maintainer": f"{title}数据管理处",
        "maintainer_email": f"data-{slug}@harbin.example",
        "contact_phone": f"0451-8{rng.randint(1000000, 9999999)}",
        "version": f"{year}.{rng.randint(1, 4)}",
        "resources": [],
        "files": _files(rng, name, topic, year),
    }


def build(*, datasets: int = 1200) -> Demo:
    """The demo catalogue; the same every time."""
    rng = random.Random(SEED)
    packages = []
    for i in range(datasets):
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        packages.append(_package(rng, i, dept, rng.choice(dept[2])))
    tables = {
        packages[0]["name"]: ("CSV", air_quality(rng)),
        packages[1]["name"]: ("CSV", schools(rng).encode("gb18030")),
        packages[2]["name"]: ("GEOJSON", parking(rng)),
    }
    files = {p["name"]: p.pop("files") for p in packages}
    for name in tables:
        files[name] = []  # the table is its only resource
    departments = [(d[0], f"哈尔滨{d[1]}") for d in DEPARTMENTS]
    return Demo(departments=departments, packages=packages, tables=tables, files=files)


def air_quality(rng: random.Random, days: int = 365) -> bytes:
    """Daily AQI per monitoring station (UTF-8 with BOM, as spreadsheet software writes it)."""
    stations = ["道里", "南岗", "香坊", "道外", "松北", "平房", "呼兰", "阿城"]
    lines = ["日期,监测站,AQI,PM2.5,首要污染物"]
    for d in range(days):
        day = date(2024, 1, 1) + timedelta(days=d)
        for s in stations:
            aqi = rng.randint(20, 260)
            lines.append(f"{day.isoformat()},{s},{aqi},{round(aqi * 0.7, 1)},{'PM2.5' if aqi > 100 else ''}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def schools(rng: random.Random, count: int = 300) -> str:
    districts = ["道里区", "南岗区", "香坊区", "道外区", "松北区", "平房区"]
    lines = ["学校名称,学段,所在区,在校生数,是否寄宿"]
    for i in range(count):
        kind = rng.choice(["小学", "初级中学", "高级中学"])
        lines.append(
            f"哈尔滨市第{i + 1}{kind},{kind},{rng.choice(districts)},{rng.randint(200, 3000)},{rng.random() < 0.2}"
        )
    return "\n".join(lines) + "\n"


def parking(rng: random.Random, count: int = 120) -> bytes:
    minx, miny, maxx, maxy = HARBIN_BBOX
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(rng.uniform(minx, maxx), 5), round(rng.uniform(miny, maxy), 5)],
            },
            "properties": {"名称": f"公共停车场{i + 1}", "泊位数": rng.randint(20, 800), "收费": rng.random() < 0.8},
        }
        for i in range(count)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


async def load_demo(*, pool: asyncpg.Pool, bus: Bus | None, settings: Settings, datasets: int = 1200) -> int:
    """Load the demo catalogue (idempotent: datasets are upserted by name); returns the datasets stored."""
    demo = build(datasets=datasets)
    await service.ensure_domains(pool, settings)
    for slug, title in demo.departments:
        await service.ensure_organization(pool, name=slug, title=title)
    kept = await asyncio.to_thread(keep_files, settings, demo)  # ~2,400 small files: off the event loop
    stored = 0
    for start in range(0, len(demo.packages), 200):
        stored += await service.import_packages(
            pool=pool, bus=bus, settings=settings, packages=demo.packages[start : start + 200], files=kept
        )
    for name, (fmt, data) in demo.tables.items():
        table = read_geojson(data) if fmt == "GEOJSON" else read_csv(data)
        rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang-demo:{name}:table"))
        filename = f"{name}.{fmt.lower()}"
        values = resources.keep_file(settings, dataset=name, resource_id=rid, name=filename, data=data)
        values.update(id=rid, name=filename, format=fmt)
        tabular = resources.Tabular(table=table)
        await resources.add_resource(
            pool=pool, bus=bus, settings=settings, dataset_ref=name, values=values, tabular=tabular
        )
    return stored


def keep_files(settings: Settings, demo: Demo) -> dict[str, list[dict[str, Any]]]:
    """Write every demo file where uploads are kept; the resources' values by dataset name."""
    out: dict[str, list[dict[str, Any]]] = {}
    actions = f"{settings.issuer}/api/3/action"
    for name, files in demo.files.items():
        out[name] = []
        for f in files:
            data = opendata_files.body(f.format, dataset=name, topic=f.topic, year=f.year, seed=f.seed, actions=actions)
            values = resources.keep_file(settings, dataset=name, resource_id=f.id, name=f.filename, data=data)
            label = "数据接口说明" if f.format == "API" else f.filename
            values.update(id=f.id, name=label, format=f.format, mimetype=opendata_files.MIMETYPES[f.format])
            out[name].append(values)
    return out


async def is_loaded(pool: asyncpg.Pool, last: str) -> bool:
    """Whether the demo's last dataset is there with its files kept here (a demo loaded before its resources were
    uploads linked a host that does not exist: it is loaded again, replacing them)."""
    try:
        dataset = await service.get_dataset(pool, last, is_admin=True)
    except NotFound:
        return False
    return all(r.url_type == "upload" for r in dataset.resources)


async def demo_catalogue(settings: Settings, *, datasets: int = 1200) -> list[str]:
    """Load the demo catalogue through the process's services (for `yiwang up`); the banner lines."""
    from core.services import open_services

    async with open_services(settings, name="opendata-demo", pool_size=3) as services:
        await services.bus.ensure_streams()
        last = build(datasets=datasets).packages[-1]["name"]
        if await is_loaded(services.pool, last):  # by an earlier start: nothing to do (the demo is the same every time)
            stored = datasets
        else:
            stored = await load_demo(pool=services.pool, bus=services.bus, settings=settings, datasets=datasets)
    base = f"http://{settings.host}:{settings.port}"
    return [
        f"  opendata {base}/api/3/action/package_search  ({stored:,} datasets, {len(DEPARTMENTS)} departments)",
        f"  dcat     {base}/catalog.ttl",
    ]
