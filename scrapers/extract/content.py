"""Where a government page keeps its body, its title and its breadcrumb."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapers.extract.dom import children, lines, marks, squash, text_of

# The body containers of the CMSs that run most Chinese government sites (TRS, 拓尔思, 南方报业 NFCMS, gkmlpt, UCAP).
BODY_SELECTORS = (
    "#UCAP-CONTENT",
    "ucapcontent",
    "#zoomcon",
    "#zoom",
    ".article-content",
    "#info_cont",
    ".info_cont",
    ".content_article",
    ".TRS_Editor",
    ".TRS_UEDITOR",
    ".trs_editor_view",
    "#detailCon",
    ".newsMain",
    ".pages_content",
    "#Zoom",
    ".view.TRS_UEDITOR",
    ".article_con",
    ".article-body",
    ".zw",
    "#zw",
    ".wzxq",
    ".xxgk_content",
    "article",
)
_MIN_BODY_CHARS = 5  # a known CMS body container is trusted even for a one-line notice
_PARAGRAPH_TAGS = ("p", "td", "li", "pre", "div", "span", "font")
_CRUMB_MARK = re.compile(r"(?:您)?(?:当前|现在|所在)(?:的)?(?:所在)?(?:的)?(?:位置|页面)\s*[:：]?|位置\s*[:：]")
_CRUMB_CLASS = re.compile(r"crumb|position|location|dqwz|weizhi|wz_|_wz|place|lujing", re.I)
_CRUMB_SPLIT = re.compile(r"\s*(?:>>|[>›»＞→]|&gt;|\s/\s)\s*")
_TITLE_SUFFIX = re.compile(r"\s*(?:[-_|｜—–]+)\s*")
_SITE_WORDS = re.compile(r"网站|门户|政府|人民政府|网$|平台|首页")


def _link_chars(node: LexborNode) -> int:
    return sum(len(text_of(a)) for a in node.css("a"))


def find_body(tree: LexborHTMLParser) -> LexborNode | None:
    """The element holding the main text: a known CMS container, else the densest block of paragraphs."""
    for selector in BODY_SELECTORS:
        best, best_len = None, 0
        for node in tree.css(selector):
            size = len(text_of(node))
            if size > best_len:
                best, best_len = node, size
        if best is not None and best_len >= _MIN_BODY_CHARS and _link_chars(best) < best_len * 0.5:
            return best
    return _densest(tree)


def _densest(tree: LexborHTMLParser) -> LexborNode | None:
    scores: dict[int, tuple[float, LexborNode]] = {}
    for node in tree.css(",".join(_PARAGRAPH_TAGS)):
        if any(child.is_element_node and child.tag in ("p", "div", "table", "ul") for child in children(node)):
            continue
        text = text_of(node)
        if len(text) < 20:
            continue
        weight = len(text) - 2 * _link_chars(node)
        if weight <= 0:
            continue
        parent = node.parent
        for share in (1.0, 0.5):
            if parent is None or parent.tag in ("html", "body"):
                break
            key = parent.mem_id
            old = scores.get(key, (0.0, parent))[0]
            scores[key] = (old + weight * share, parent)
            parent = parent.parent
    if not scores:
        return None
    return max(scores.values(), key=lambda t: t[0])[1]


def breadcrumb(tree: LexborHTMLParser) -> list[str]:
    """The 当前位置 trail, e.g. ['首页', '政务公开', '通知公告']."""
    node = _crumb_node(tree)
    if node is None:
        return []
    text = _CRUMB_MARK.sub(" ", " ".join(lines(node)))
    parts = [squash(p) for p in _CRUMB_SPLIT.split(text)]
    items = [p for p in parts if p and len(p) <= 40]
    if len(items) < 2:
        anchors = [text_of(a) for a in node.css("a")]
        items = [a for a in anchors if a and len(a) <= 40] or items
    return items


def _crumb_node(tree: LexborHTMLParser) -> LexborNode | None:
    for node in tree.css("[class],[id]"):
        if _CRUMB_CLASS.search(marks(node)) and (node.tag or "") not in ("body", "html"):
            text = text_of(node)
            if 2 <= len(text) <= 200 and (_CRUMB_SPLIT.search(text) or _CRUMB_MARK.search(text)):
                return node
    body = tree.body
    if body is None:
        return None
    for node in body.traverse(include_text=True):
        if node.is_text_node and _CRUMB_MARK.search(node.text_content or ""):
            holder = node.parent
            while holder is not None and holder.parent is not None and not _CRUMB_SPLIT.search(text_of(holder)):
                if len(text_of(holder.parent)) > 200:
                    break
                holder = holder.parent
            return holder
    return None


def title_candidates(tree: LexborHTMLParser) -> tuple[str, list[str]]:
    """The <title> text without its site-name suffix, and the visible headings in page order."""
    raw = text_of(tree.css_first("title"))
    parts = [p for p in _TITLE_SUFFIX.split(raw) if p]
    while len(parts) > 1 and _SITE_WORDS.search(parts[-1]):
        parts.pop()
    while len(parts) > 1 and _SITE_WORDS.search(parts[0]) and len(parts[0]) <= 20:
        parts.pop(0)
    title_tag = squash("-".join(parts)) if parts else ""
    headings = []
    for node in tree.css("h1,h2,h3,.title,.article-title,.news_title,.detail-title"):
        text = text_of(node)
        if 4 <= len(text) <= 200 and not _CRUMB_MARK.search(text):
            headings.append(text)
    return title_tag, headings


def pick_title(title_tag: str, headings: list[str]) -> str:
    """The heading that agrees with <title>, else <title>, else the first heading."""
    for heading in headings:
        if title_tag and (heading == title_tag or heading in title_tag or title_tag in heading):
            return heading if len(heading) >= len(title_tag) else title_tag
    if title_tag:
        return title_tag
    return headings[0] if headings else ""
