"""The State Council's 主题分类 as gov.cn uses it: top level and second level, written 顶级\\二级."""

from __future__ import annotations

import re

SEPARATOR = "\\"
# Top level -> second levels, as on gov.cn's 政策文件库 (each top level also has 其他).
THEMES: dict[str, tuple[str, ...]] = {
    "国务院组织机构": (),
    "综合政务": ("政务公开", "应急管理", "政务督查", "文秘工作", "电子政务", "行政监察"),
    "国民经济管理、国有资产监管": ("宏观经济", "经济体制改革", "国有资产监管", "统计", "物价", "发展规划"),
    "财政、金融、审计": ("财政", "税务", "银行", "保险", "证券", "审计", "外汇"),
    "国土资源、能源": ("土地", "矿产", "海洋", "能源", "电力", "煤炭", "石油与天然气"),
    "农业、林业、水利": ("农业、畜牧业、渔业", "林业", "水利", "粮食"),
    "工业、交通": ("工业", "信息产业（含电信）", "公路", "铁路", "水运", "民航", "邮政"),
    "商贸、海关、旅游": ("国内贸易（含供销）", "对外经贸合作", "海关", "旅游"),
    "市场监管、安全生产监管": ("工商", "质量监督", "食品药品监管", "安全生产监管", "市场监管"),
    "城乡建设、环境保护": (
        "城市规划",
        "城乡建设（含住房）",
        "住房",
        "节能与资源综合利用",
        "环境监测、保护与治理",
        "气象、水文、测绘、地震",
    ),
    "科技、教育": ("科技", "教育", "知识产权"),
    "文化、广电、新闻出版": ("文化", "广播电视", "新闻出版", "文物"),
    "卫生、体育": ("卫生", "医药管理", "体育"),
    "人口与计划生育、妇女儿童工作": ("人口与计划生育", "妇女儿童"),
    "劳动、人事、监察": ("劳动就业", "社会保障", "人事工作", "劳动保护", "监察"),
    "公安、安全、司法": ("公安", "安全", "司法"),
    "民政、扶贫、救灾": ("社团管理", "减灾救灾", "扶贫", "优抚安置", "社会福利", "行政区划与地名"),
    "民族、宗教": ("民族事务", "宗教事务"),
    "对外事务": ("外交",),
    "港澳台侨工作": ("港澳工作", "台湾工作", "侨务工作"),
    "国防": ("国防建设", "国防动员"),
    "其他": (),
}
_PARTS = re.compile(r"[、，,（）()与和含]")


def all_labels() -> list[str]:
    """Every label of the taxonomy: top\\second, top\\其他, and bare tops without second levels."""
    out = []
    for top, seconds in THEMES.items():
        if not seconds:
            out.append(top)
            continue
        out += [f"{top}{SEPARATOR}{s}" for s in seconds] + [f"{top}{SEPARATOR}其他"]
    return out


def split_theme(label: str) -> tuple[str, str | None]:
    """(top level, second level or None); accepts / and ＼ as written by some sites."""
    clean = label.strip().replace("／", SEPARATOR).replace("/", SEPARATOR).replace("＼", SEPARATOR)
    top, _, second = clean.partition(SEPARATOR)
    return top.strip(), (second.strip() or None)


def normalize_theme(label: str | None) -> str | None:
    """The gov.cn form of a page's 主题分类 value (first one when several are listed), or None."""
    if not label or not label.strip():
        return None
    first = re.split(r"[;；|｜]", label.strip())[0]
    top, second = split_theme(first)
    if not top:
        return None
    return f"{top}{SEPARATOR}{second}" if second else top


def label_words(label: str) -> list[str]:
    """The words a label is made of (劳动、人事、监察\\劳动就业 → 劳动 人事 监察 劳动就业), for seeding."""
    top, second = split_theme(label)
    words = [w for w in _PARTS.split(second or "") if len(w) >= 2 and w != "其他"]
    return words + [w for w in _PARTS.split(top) if len(w) >= 2 and w != "其他"]
