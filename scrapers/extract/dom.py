"""DOM helpers over selectolax/lexbor: safe parsing, visible text as lines, noise removal."""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

MAX_HTML_CHARS = 6_000_000  # bigger pages are cut: no government article needs more, and parsing stays bounded
SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "head", "select", "object", "canvas"}
)
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "ucapcontent",
    ]
)
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
NOISE = re.compile(
    r"share|bdshare|print|close|crumb|position|location|toolbar|font-?size|fontsize|zihao|xgwz|xglj|related|relevant"
    r"|pager|paging|footer|header|sidebar|topbar|menu|navbar|\bnav\b|qrcode|ewm|erweima|visit|comment|goback|"
    r"\bfx\b|weixin|wechat|weibo",
    re.I,
)


_CHROME_TAGS = frozenset({"nav", "footer", "header", "aside", "button", "input", "form"})


def parse(html: str) -> LexborHTMLParser:
    """A parser over html; never raises on malformed input and bounds the work on huge pages."""
    return LexborHTMLParser(html[:MAX_HTML_CHARS] if html else "<html></html>")


def children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.first_child
    while child is not None:
        yield child
        child = child.next


def is_hidden(node: LexborNode) -> bool:
    """Hidden by markup; <body>/<html> hidden until a script reveals them (gkmlpt does that) count as shown."""
    if node.tag in ("body", "html"):
        return False
    attrs = node.attributes
    return "hidden" in attrs or bool(_HIDDEN.search(attrs.get("style") or ""))


def squash(text: str | None) -> str:
    """Collapse every run of whitespace (also full-width and non-breaking) into one space."""
    return _SPACES.sub(" ", text or "").strip()


class _Lines:
    """Text gathered into lines: a line ends where a block element or a <br> does."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self._buf: list[str] = []

    def add(self, text: str) -> None:
        self._buf.append(text)

    def flush(self) -> None:
        line = squash("".join(self._buf))
        self._buf.clear()
        if line:
            self.out.append(line)

    def enter(self, node: LexborNode) -> list[tuple[LexborNode, bool]]:
        """Enter an element: end the line before a block or at a <br>; what to visit next, last first."""
        tag = node.tag or ""
        if tag == "br":
            self.flush()
            return []
        following: list[tuple[LexborNode, bool]] = []
        if tag in BLOCK_TAGS:
            self.flush()
            following.append((node, True))
        if tag in ("td", "th"):
            self.add(" ")
        following.extend((child, False) for child in reversed(list(children(node))))
        return following


def lines(root: LexborNode | None) -> list[str]:
    """The visible text under root, one line per block element, whitespace collapsed, empty lines dropped."""
    if root is None:
        return []
    acc = _Lines()
    stack: list[tuple[LexborNode, bool]] = [(root, False)]  # (node, True) closes a block
    while stack:
        node, closing = stack.pop()
        if closing:
            acc.flush()
        elif node.is_text_node:
            acc.add(node.text_content or "")
        elif _shown(node):
            stack.extend(acc.enter(node))
    acc.flush()
    return acc.out


def _shown(node: LexborNode) -> bool:
    if not node.is_element_node and not node.is_document_node:
        return False
    return (node.tag or "") not in SKIP_TAGS and not (node.is_element_node and is_hidden(node))


def text_of(node: LexborNode | None) -> str:
    return squash(node.text(separator=" ")) if node is not None else ""


def marks(node: LexborNode) -> str:
    """The id and class of node, for matching against naming conventions."""
    attrs = node.attributes
    return f"{attrs.get('id') or ''} {attrs.get('class') or ''}"


def remove_noise(root: LexborNode) -> None:
    """Drop scripts, hidden parts and share/print/breadcrumb bars inside root (root itself is kept)."""
    doomed: list[LexborNode] = []
    stack = list(children(root))
    while stack:
        node = stack.pop()
        if not node.is_element_node:
            continue
        tag = node.tag or ""
        if (
            tag in SKIP_TAGS
            or tag in _CHROME_TAGS
            or is_hidden(node)
            or (NOISE.search(marks(node)) and len(text_of(node)) < 400)
        ):
            doomed.append(node)
        else:
            stack.extend(children(node))
    for node in doomed:  # none is inside another, so each decompose frees a distinct subtree
        node.decompose()
