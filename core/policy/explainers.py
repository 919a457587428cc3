"""What an interpretation page says: its 背景 (background), 关键词 (keywords) and 新旧对比 (stated changes)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from core.textzh import get_analyzer

MAX_SECTION = 2000
MAX_KEYWORDS = 8
# A section heading: 一、 / （一） / 1. / 【…】 then a short name, ended by the line, 。 or ：.
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}\s*[、.．]|【)"
)
_HEAD_END = re.compile(r"[】。：:？?]")
_BACKGROUND = re.compile(r"背景|必要性|起草(?:过程|依据|情况)|出台|为什么")
_CHANGES = re.compile(r"新旧对比|对比|主要变化|变化|修订(?:内容|情况|的主要)|修改|调整|亮点|新在哪|突破")
_KEYWORD_LINE = re.compile(r"^\s*【?关键词】?\s*[：:]?\s*(?P<words>.+)$")
_LABELLED = re.compile(r"^\s*【?(?P<label>背景|出台背景|新旧对比|主要变化)】?\s*[：:]\s*(?P<text>.+)$")
_SPLIT_WORDS = re.compile(r"[、，,；;\s|｜/]+")
# Words every interpretation uses: never a keyword of one.
_GENERIC_WORDS = "解读 政策 通知 有关 工作 相关 进行 主要 内容 问题 方面 要求 规定 文件 印发 实施 办法 意见 一是 二是 \
三是 我们 如下 以下 加强 推进 提高 进一步 同时 其中 包括 按照 根据 以及 方案"
_GENERIC = frozenset(_GENERIC_WORDS.split())


@dataclass(frozen=True, kw_only=True)
class Content:
    """The parts of an interpretation a reader looks for first."""

    background: str = ""
    keywords: tuple[str, ...] = ()
    stated_changes: str = ""


def _heading(line: str) -> tuple[str, str] | None:
    """(name, text after it) when the line opens a numbered or bracketed section."""
    m = _NUMBERED.match(line)
    if not m:
        return None
    rest = line[m.end() :].strip()
    end = _HEAD_END.search(rest)
    name = rest[: end.start()] if end else rest
    return (name, rest[end.end() :].strip() if end else "") if 1 < len(name) <= 30 else None


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of each numbered section, the heading line's own text after its name included."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        head = _heading(line)
        if head is not None:
            out.append((head[0], [head[1]] if head[1] else []))
        elif out and line.strip():
            out[-1][1].append(line.strip())
    return [(name, "\n".join(body)[:MAX_SECTION]) for name, body in out]


def _section(found: list[tuple[str, str]], pattern: re.Pattern[str]) -> str:
    return next((body for name, body in found if pattern.search(name)), "")


def _labelled(text: str, labels: tuple[str, ...]) -> str:
    for line in text.splitlines():
        m = _LABELLED.match(line)
        if m and m.group("label") in labels:
            return m.group("text").strip()[:MAX_SECTION]
    return ""


def keywords(title: str, text: str) -> tuple[str, ...]:
    """The page's own 关键词 line, else its most frequent words (title words count three times)."""
    for line in text.splitlines()[:40]:
        m = _KEYWORD_LINE.match(line)
        if m:
            words = [w for w in _SPLIT_WORDS.split(m.group("words")) if 1 < len(w) <= 20]
            return tuple(dict.fromkeys(words))[:MAX_KEYWORDS]
    analyzer = get_analyzer()
    counts: Counter[str] = Counter()
    for weight, part in ((3, title), (1, text[:5000])):
        for term in analyzer.index_terms(part):
            if len(term) >= 2 and term not in _GENERIC and not term.isdigit():
                counts[term] += weight
    ranked = [t for t, n in counts.most_common(MAX_KEYWORDS * 3) if n >= 2]
    # a word inside a longer chosen one (保险 in 失业保险) says nothing more
    chosen: list[str] = []
    for term in ranked:
        if not any(term in c for c in chosen):
            chosen.append(term)
    return tuple(chosen[:5])


def content_of(title: str, text: str) -> Content:
    """Background, keywords and stated changes, from numbered sections or labelled lines of the page."""
    found = sections(text)
    return Content(
        background=_section(found, _BACKGROUND) or _labelled(text, ("背景", "出台背景")),
        keywords=keywords(title, text),
        stated_changes=_section(found, _CHANGES) or _labelled(text, ("新旧对比", "主要变化")),
    )
