"""Documents suggested while typing: titles found by the start of a word, in hanzi, full pinyin or initials.

The index lives in memory and answers without Postgres or the engine. Each title gives up to MAX_STARTS
keys per spelling (where it and its words start); the keys are offsets into one string per spelling,
sorted by the text from there, so a prefix is a range found by bisection. A prefix short enough to match
more than SCAN_ROWS keys (社, s, gz) is answered from lists kept for it when the index was built: no
keystroke reads more than SCAN_ROWS keys.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core.textzh import lexicon
from core.textzh.analyzer import get_analyzer
from core.textzh.normalize import fold
from core.textzh.pinyin import reading

KEY_CHARS = 24  # a prefix is compared on this many characters at most
MAX_STARTS = 8  # keys per title and spelling: the title's start and its first words' starts
SCAN_ROWS = 2000
SORT_CHUNK = 50_000
MAX_PER_GROUP = 10
# (key, name, kinds): as the search's scenes group results (core.search.pipeline.SCENES), then the rest.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("service", "办事服务", ("service",)),
    ("policy", "政策文件", ("policy",)),
    ("interpretation", "政策解读", ("interpretation",)),
    ("news", "新闻动态", ("news", "notice", "article")),
    ("qa", "互动问答", ("qa",)),
    ("dataset", "开放数据", ("dataset",)),
    ("disclosure", "基层公开", ("disclosure",)),
    ("other", "其他", ()),
)
_GROUP_OF_KIND = {kind: key for key, _, kinds in GROUPS for kind in kinds}
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"^[a-z0-9']+$")
_SPACES = re.compile(r"\s+")
_END = "\x00"  # ends each title's text in a spelling's string: sorts before every character
_LAST = chr(0x10FFFF)


@dataclass(frozen=True, slots=True, kw_only=True)
class TitleDoc:
    """A document as a suggestion shows it: title, address, site, column (栏目) and kind."""

    id: str
    title: str
    url: str
    site: str
    site_name: str = ""
    column: str = ""
    kind: str = ""
    published_at: date | None = None

    @property
    def group(self) -> str:
        return _GROUP_OF_KIND.get(self.kind, "other")


def order_key(doc: TitleDoc) -> tuple[int, int, str]:
    """Newest first, then shorter titles: the order of equally good matches."""
    return (-(doc.published_at.toordinal() if doc.published_at else 0), len(doc.title), doc.id)


def folded(text: str) -> str:
    """A title or prefix as keys compare it: folded (case, width, traditional script), no whitespace."""
    return _SPACES.sub("", fold(text))


Piece = tuple[str, list[tuple[int, bool]]]  # a spelling's text and its keys: (offset, whether it starts the title)


def spellings(title: str, readings: dict[str, list[str]] | None = None) -> tuple[list[Piece], ...]:
    """A title's key pieces in hanzi, full pinyin and initials: keys start where the title and its words
    begin (words that are stop words left out), at most MAX_STARTS of them. Each word is read on its own
    (`readings` caches them: titles share most of their words, and pypinyin takes a millisecond a title)."""
    text = folded(title)
    stop = lexicon.stopwords()
    cuts = sorted({0, len(text)} | get_analyzer().boundaries(text))
    words = list(itertools.pairwise(cuts))
    starts = [a for a, b in words if a == 0 or (text[a].isalnum() and text[a:b] not in stop)][:MAX_STARTS]
    cache = {} if readings is None else readings
    full: list[Piece] = []
    initials: list[Piece] = []
    for run in _HAN_RUN.finditer(text):
        inside = [i - run.start() for i in starts if run.start() <= i < run.end()]
        syls = _read(run.group(), [(a - run.start(), b - run.start()) for a, b in words], cache)
        if syls is None or not inside:
            continue
        offsets = [0]
        for syl in syls:
            offsets.append(offsets[-1] + len(syl))
        first = run.start() == 0
        full.append(("".join(syls), [(offsets[i], first and i == 0) for i in inside]))
        initials.append(("".join(syl[0] for syl in syls), [(i, first and i == 0) for i in inside]))
    return [(text, [(i, i == 0) for i in starts])], full, initials


def _read(run: str, words: list[tuple[int, int]], cache: dict[str, list[str]]) -> list[str] | None:
    """One syllable per character of a hanzi run, each word of it read on its own; None if one is unread."""
    out: list[str] = []
    for a, b in words:
        if b <= 0 or a >= len(run):
            continue
        word = run[max(a, 0) : b]
        if word not in cache:
            cache[word] = reading(word)
        out += cache[word]
    return out if len(out) == len(run) else None


class _Keys:
    """The keys of one spelling: offsets into one string, sorted by the text from there, and their codes."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self.blob = ""
        self.offsets = array("I")
        self.codes = array("I")
        self.heavy: dict[str, array[int]] = {}

    def add(self, pieces: Iterable[Piece], code: int, start_code: int) -> None:
        for text, starts in pieces:
            for i, first in starts:
                self.offsets.append(self._size + i)
                self.codes.append(start_code if first else code)
            self._parts.append(text + _END)
            self._size += len(text) + 1

    def key(self, offset: int) -> str:
        return self.blob[offset : offset + KEY_CHARS]

    def freeze(self) -> None:
        """Sort the keys: in chunks then merged, so that only a chunk's sort keys exist at once (a sort of
        every key at once held them all, most of the memory a build of 100,000 titles took)."""
        self.blob, self._parts = "".join(self._parts), []
        offsets, codes = self.offsets, self.codes

        def key(row: int) -> str:
            return self.key(offsets[row])

        chunks = [
            array("I", sorted(range(lo, min(lo + SORT_CHUNK, len(offsets))), key=key))
            for lo in range(0, len(offsets), SORT_CHUNK)
        ]
        order = array("I", heapq.merge(*chunks, key=key))
        self.offsets = array("I", (offsets[i] for i in order))
        self.codes = array("I", (codes[i] for i in order))

    def range(self, prefix: str, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        hi = len(self.offsets) if hi is None else hi
        first = bisect.bisect_left(self.offsets, prefix, lo, hi, key=self.key)
        return first, bisect.bisect_left(self.offsets, prefix + _LAST, first, hi, key=self.key)

    def children(self, prefix: str, lo: int, hi: int) -> Iterable[tuple[str, int, int]]:
        """The one-character-longer prefixes within a prefix's range, with their ranges."""
        i = lo
        while i < hi:
            key = self.key(self.offsets[i])
            if len(key) <= len(prefix) or key[len(prefix)] == _END:
                i = self.range(prefix + _END, i, hi)[1]
                continue
            child = key[: len(prefix) + 1]
            j = self.range(child, i, hi)[1]
            yield child, i, j
            i = j


class TitleIndex:
    """Immutable: titles found by prefix, grouped by kind; build a new one to change it."""

    def __init__(self, docs: Iterable[TitleDoc]) -> None:
        self.docs: list[TitleDoc] = sorted({d.id: d for d in docs if d.title.strip()}.values(), key=order_key)
        self._groups = [d.group for d in self.docs]
        n = len(self.docs)
        self._spellings = (_Keys(), _Keys(), _Keys())
        readings: dict[str, list[str]] = {}
        for rank, doc in enumerate(self.docs):
            for keys, pieces in zip(self._spellings, spellings(doc.title, readings), strict=True):
                keys.add(pieces, n + rank, rank)  # a key that starts the title codes below every other one
        for keys in self._spellings:
            keys.freeze()
            self._precompute(keys)

    def __len__(self) -> int:
        return len(self.docs)

    def _precompute(self, keys: _Keys) -> None:
        todo = [("", 0, len(keys.offsets))]
        while todo:
            prefix, lo, hi = todo.pop()
            if prefix:
                keys.heavy[prefix] = array("I", self._pick(keys.codes[lo:hi], MAX_PER_GROUP, ()))
            if len(prefix) < KEY_CHARS:
                todo += [c for c in keys.children(prefix, lo, hi) if c[2] - c[1] > SCAN_ROWS]

    def _pick(self, codes: Iterable[int], per_group: int, skip: Collection[str]) -> list[int]:
        """The best codes, at most `per_group` documents per group, each document once."""
        n, taken = max(len(self.docs), 1), dict.fromkeys([k for k, _, _ in GROUPS], 0)
        seen: set[int] = set()
        out: list[int] = []
        for code in sorted(set(codes)):
            rank = code % n
            if rank in seen or taken[self._groups[rank]] >= per_group or self.docs[rank].id in skip:
                continue
            seen.add(rank)
            taken[self._groups[rank]] += 1
            out.append(code)
        return out

    def find(self, prefix: str, per_group: int, skip: Collection[str] = ()) -> list[tuple[bool, TitleDoc]]:
        """(starts the title, document) of titles that hold a word starting with the prefix, best first, at
        most `per_group` per group; documents whose ids are in `skip` left out."""
        p = folded(prefix).replace("'", "")[:KEY_CHARS]
        if not p or not self.docs:
            return []
        codes: list[int] = []
        for keys in self._spellings if _LATIN.match(p) else self._spellings[:1]:
            if p in keys.heavy:
                codes += keys.heavy[p]
            else:
                lo, hi = keys.range(p)
                codes += keys.codes[lo : min(hi, lo + SCAN_ROWS)]
        n = len(self.docs)
        return [(code < n, self.docs[code % n]) for code in self._pick(codes, per_group, skip)]


def grouped(found: Sequence[tuple[bool, TitleDoc]], per_group: int) -> list[tuple[str, str, list[TitleDoc]]]:
    """(key, name, documents) of each group with matches, in GROUPS order; title starts first in a group."""
    ranked = sorted(found, key=lambda f: (not f[0], order_key(f[1])))
    out = []
    for key, name, _ in GROUPS:
        docs = list({d.id: d for starts, d in ranked if d.group == key}.values())[:per_group]
        if docs:
            out.append((key, name, docs))
    return out
