"""Which kind of page this is: homepage, column list, policy, interpretation, news, notice, service, Q&A …"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from scrapers.extract.dom import children
from scrapers.extract.model import Kind

_ROOT_PATH = re.compile(r"^/?(?:(?:index|default|home|main)\.(?:s?html?|jsp|aspx?|php))?$", re.I)
_INTERPRETATION = re.compile(r"解读|答记者问|一图读懂|图解")
_SERVICE = re.compile(r"办事指南|服务指南|办理指南|申报指南|申领指南|办事指引|服务事项|办事服务")
_SERVICE_LABELS = re.compile(
    r"(?:办理|受理|申请|申报)(?:条件|材料|流程|时限|地点|对象|方式)|收费标准|法定时限|承诺时限"
)
_QA = re.compile(r"留言|咨询|问答|常见问题|热点问题|在线访谈|信箱|答问|问题解答|\d+问")
_QA_PAIRS = re.compile(r"^(?:问|Q)\s*[:：]|^答\s*[:：]", re.M)
_NEWS = re.compile(r"新闻|动态|要闻|资讯|媒体|图片|视频|快讯|报道|聚焦|信息|工作")
_NOTICE = re.compile(r"通知公告|公告|通告|公示|通知")
# What a <title> adds after a column's name: the site's (政策解读-示范市人力资源和社会保障局, 政策解读_中国政府网).
# Not a colon or a dash of prose: 政策解读：《…》 and 政策解读——… are articles' titles.
_SITE_SUFFIX = re.compile(r"\s*[-_|｜]\s*\S.*")
_PAGING = re.compile(r"下一页|上一页|尾页|末页|首页\s*上一页|共\s*\d+\s*页|第\s*\d+\s*页")


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What classification looks at, gathered by the extractor."""

    url: str
    title: str
    column: str | None
    breadcrumb: tuple[str, ...]
    text: str
    has_meta_block: bool
    doc_no_on_top: bool


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) and bool(_ROOT_PATH.match(parts.path)) and not parts.query


def _titled_as(title: str, place: str) -> bool:
    """Whether a page's title is its column's name, alone or followed by the site's."""
    title, place = title.strip(), place.strip()
    return title == place or (title.startswith(place) and bool(_SITE_SUFFIX.fullmatch(title[len(place) :])))


def _list_like(tree: LexborHTMLParser, text: str) -> bool:
    """Many links sharing one URL pattern inside one container, or a pager, with little prose of its own."""
    best = 0
    for container in tree.css("ul,ol,tbody,dl"):
        patterns: Counter[str] = Counter()
        for item in children(container):
            anchor = item.css_first("a[href]") if item.is_element_node else None
            if anchor is not None:
                href = anchor.attributes.get("href") or ""
                patterns[re.sub(r"\d+", "0", href.rsplit("/", 1)[0])] += 1
        if patterns:
            best = max(best, patterns.most_common(1)[0][1])
    paging = bool(_PAGING.search(text[-3000:]))
    return (best >= 8 and len(text) < 4000) or (paging and best >= 5)


def classify(tree: LexborHTMLParser, ev: Evidence) -> Kind:
    """The page's kind: its shape first (homepage, list, policy metadata), then the words of its title and place."""
    place = ev.column or (ev.breadcrumb[-1] if ev.breadcrumb else "")
    kind = _by_shape(tree, ev, place) or _by_words(ev, place)
    return kind or ("article" if len(ev.text) >= 50 else "other")


def _by_shape(tree: LexborHTMLParser, ev: Evidence, place: str) -> Kind | None:
    if _is_root(ev.url) and not ev.has_meta_block:
        return "homepage"
    if not ev.title and not ev.text:
        return "other"
    if place and _titled_as(ev.title, place) and _list_like(tree, ev.text) and len(ev.text) < 6000:
        return "column"  # a column's own list page (政策解读, 通知公告 …), titled with the column's name
    if _INTERPRETATION.search(ev.title):
        return "interpretation"
    if ev.has_meta_block or ev.doc_no_on_top:
        return "policy"
    if _INTERPRETATION.search(place):
        return "interpretation"
    if _list_like(tree, ev.text) and len(ev.text) < 6000:
        return "column"
    return None


def _by_words(ev: Evidence, place: str) -> Kind | None:
    section = f"{ev.column or ''} {' '.join(ev.breadcrumb[-2:])}"
    if _QA.search(ev.title) or _QA.search(section) or len(_QA_PAIRS.findall(ev.text)) >= 4:
        return "qa"
    if _SERVICE.search(ev.title) or _SERVICE.search(place) or len(set(_SERVICE_LABELS.findall(ev.text))) >= 3:
        return "service"
    if _NOTICE.search(ev.title) or _NOTICE.search(place):
        return "notice"
    if _NEWS.search(place):
        return "news"
    return None
