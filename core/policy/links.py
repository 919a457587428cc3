"""What explains a policy: kinds of explaining pages, and the 文号 and 《title》 mentions that link them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.policy.transcripts import is_transcript
from core.textzh.docno import find_doc_nos
from core.textzh.normalize import fold

INTERPRETATION_KINDS = ("文字解读", "图解", "视频解读", "新闻发布会", "媒体解读")
RESPONSE_KINDS = ("热点回应", "电视问政")
KINDS = (*INTERPRETATION_KINDS, *RESPONSE_KINDS)
# First match wins: the more specific forms come before plain 解读.
_KIND_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("response", "电视问政", re.compile(r"电视问政|问政节目|问政直播|《问政")),
    ("response", "热点回应", re.compile(r"回应|热点问题|关切|答网民问|辟谣|澄清")),
    ("interpretation", "图解", re.compile(r"一图读懂|图解|图说|长图|一张图")),
    ("interpretation", "视频解读", re.compile(r"视频|微视频|动漫|动画|直播")),
    ("interpretation", "新闻发布会", re.compile(r"新闻发布会|发布会|记者会|吹风会|答记者问|实录")),
    ("interpretation", "媒体解读", re.compile(r"媒体|评论|专家|学者|社论|观察")),
    ("interpretation", "文字解读", re.compile(r"解读|问答|答问|一问一答|政策解析|知识问答|读懂|要点")),
)
# Path segments of the usual CMS columns (pinyin initials): 图解, 视频解读, 发布会, 电视问政, 回应, 政策解读.
_URL_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("response", "电视问政", re.compile(r"dswz|wenzheng")),
    ("response", "热点回应", re.compile(r"rdhy|hdhy")),
    ("interpretation", "图解", re.compile(r"tujie|yttd|tjzc")),
    ("interpretation", "视频解读", re.compile(r"spjd|zcjd/(?:sp|video|shipin)")),
    ("interpretation", "新闻发布会", re.compile(r"xwfbh|/fbh/|fbhzb|jzwd")),
)
_EXPLAINING_PATH = re.compile(r"zcjd|wzjd|jdhy")  # 政策解读, 文字解读, 解读回应 columns
# Home and column (list) pages lead to explaining pages and explain nothing: the 政策解读 column's own list page
# (/zcjd/, titled 政策解读, listing 《title》 after 《title》) was a 文字解读 of every policy it listed.
NAVIGATION_KINDS = ("homepage", "column")
_NAMED = re.compile(r"《([^《》]{4,80})》")
_NOTICE = re.compile(r"^(?:.{0,30}?)关于(?:印发|转发|发布)《(.+)》的(?:通知|通告|公告)$")
LEAD_CHARS = 300  # mentions count in the title and the lead, where “印发了《X》（文号）” sits


@dataclass(frozen=True)
class Explaining:
    """An explaining page: interpretation or response, its kind, and what it names."""

    relation: str
    kind: str
    doc_nos: tuple[str, ...]
    titles: tuple[str, ...]


def explaining_kind(
    title: str, column: str | None, page_kind: str, *, url: str = "", text: str = ""
) -> tuple[str, str] | None:
    """(relation, kind) of a page that explains a policy, or None for other pages.

    First rule wins: the title's words, then the URL's column path, then the page's form (a transcript of
    questions and answers in an explaining column is a 新闻发布会), then the column's name. A home or column
    page is none."""
    if page_kind in NAVIGATION_KINDS:
        return None
    for relation, kind, pattern in _KIND_RULES:
        if pattern.search(title):
            return relation, kind
    path = urlsplit(url).path.lower()
    for relation, kind, pattern in _URL_RULES:
        if path and pattern.search(path):
            return relation, kind
    in_column = bool(column and re.search(r"解读|发布会|访谈", column)) or bool(_EXPLAINING_PATH.search(path))
    if (page_kind == "interpretation" or in_column) and text and is_transcript(title, text):
        return "interpretation", "新闻发布会"
    if column and re.search(r"问政", column):
        return "response", "电视问政"
    if page_kind == "interpretation" or in_column:
        return "interpretation", "文字解读"
    if column and re.search(r"回应", column):
        return "response", "热点回应"
    return None


def name_key(name: str) -> str:
    """How a policy name is compared: folded, without spaces and quotes."""
    return re.sub(r"[\s“”\"'「」]", "", fold(name))


def policy_names(title: str) -> list[str]:
    """Name keys a mention can use: the title itself and, for 关于印发《X》的通知, X."""
    names = [title]
    m = _NOTICE.match(title.strip())
    if m:
        names.append(m.group(1))
    names += _NAMED.findall(title)
    return list(dict.fromkeys(name_key(n) for n in names if n.strip()))


def mentions(title: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(文号, 《title》 name keys) named in the title and the lead of the text."""
    lead = f"{title}\n{text[:LEAD_CHARS]}"
    doc_nos = tuple(d.normalized for d in find_doc_nos(lead))
    titles = tuple(dict.fromkeys(name_key(t) for t in _NAMED.findall(lead)))
    return doc_nos, titles


def explaining(title: str, text: str, column: str | None, page_kind: str, *, url: str = "") -> Explaining | None:
    """What an explaining page is and what it names; None when it is not one or names nothing."""
    found = explaining_kind(title, column, page_kind, url=url, text=text)
    if found is None:
        return None
    doc_nos, titles = mentions(title, text)
    if not doc_nos and not titles:
        return None
    return Explaining(found[0], found[1], doc_nos, titles)
