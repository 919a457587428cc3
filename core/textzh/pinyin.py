"""Pinyin queries (full `shebao`, initials `sb`, mixed `社bao`) turned into hanzi terms of a vocabulary.

When to use it (`is_probably_pinyin`): the folded query must contain Latin letters, none of its Latin
runs may be a bundled Latin word or acronym (pdf, app, ca, ... in data/latin_words.txt), and the query
must not itself be a vocabulary term. Then a query mixing hanzi with Latin counts as pinyin when every
Latin run parses as pinyin syllables or as consonant initials; a Latin-only query counts when it parses
into at least two full syllables (`shebao`, `she bao`) or is one run of two to six consonant initials
(`sb`, `gjj`, `zfgjj`). Digits never count (`12345`).

Candidates are precise: a vocabulary term of two or more hanzi matches only if its own reading
(pypinyin, context-aware: 银行 is yin hang) consumes a whole stretch of the query, syllable by
syllable, a syllable written in full or as its initial (zh/ch/sh or first letter), never across a
space. Every Latin letter must be covered by a term; hanzi in the query may stay as they are.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from core.textzh import lexicon
from core.textzh.normalize import fold

_LETTERS = re.compile(r"[a-z]+")
_INITIAL_LETTERS = frozenset("bpmfdtnlgkhjqxrzcsyw")
_ABBREVIATION_FACTOR = 0.1  # a syllable typed as its initial is weaker evidence than one typed in full
_PIECE_FACTOR = 0.05  # one vocabulary term covering the query beats several
_BEAM = 16
_CUTOFF = 0.01  # candidates a hundred times less likely than the best are noise
_lock = threading.Lock()
_syllables: frozenset[str] | None = None


def _plain(reading: str) -> str:
    reading = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in reading if not unicodedata.combining(ch))


def syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü written v), from pypinyin's dictionary; interjections m/n/ng left out."""
    global _syllables
    if _syllables is None:
        with _lock:
            if _syllables is None:
                from pypinyin.pinyin_dict import pinyin_dict

                found = {_plain(r) for value in pinyin_dict.values() for r in value.split(",")}
                _syllables = frozenset(s for s in found if s.isascii() and s.isalpha() and set(s) & set("aeiouv"))
    return _syllables


def reading(term: str) -> list[str]:
    """Toneless context-aware pinyin of a hanzi term, one syllable per character (ü as v)."""
    from pypinyin import Style, lazy_pinyin

    return [_plain(s) for s in lazy_pinyin(term, style=Style.NORMAL, v_to_u=False, errors="ignore")]


def initial(syllable: str) -> str:
    """The initial typed for a syllable: zh/ch/sh or its first letter."""
    return syllable[:2] if syllable[:2] in ("zh", "ch", "sh") else syllable[:1]


def _parses(run: str, units: frozenset[str]) -> bool:
    ok = [True] + [False] * len(run)
    for i in range(len(run)):
        if ok[i]:
            for j in range(i + 1, min(len(run), i + 6) + 1):
                ok[j] = ok[j] or run[i:j] in units
    return ok[-1]


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def is_probably_pinyin(query: str, known_terms: Container[str] = frozenset()) -> bool:
    """Whether a query is pinyin to turn into hanzi (the rule is in the module docstring)."""
    q = fold(query).replace("ü", "v")
    runs = _LETTERS.findall(q)
    if not runs or q in known_terms or q.replace(" ", "") in known_terms:
        return False
    latin = frozenset(lexicon.read_rows("latin_words.txt"))
    if any(run in latin for run in runs):
        return False
    full = all(_parses(run, syllables()) for run in runs)
    initials = all(set(run) <= _INITIAL_LETTERS for run in runs)
    if any(_is_han(ch) for ch in q):
        return full or initials
    if initials:
        return len(runs) == 1 and 2 <= len(runs[0]) <= 6
    return full and sum(_count_syllables(run) for run in runs) >= 2


def could_be_initials(query: str, known_terms: Container[str] = frozenset()) -> bool:
    """Whether a Latin-only query may be initials that include a zero-initial syllable (`xaxq` for 雄安新区:
    安 is typed `a`): one run of 2–6 letters, consonant initials or a/e/o, at least two consonants, that
    neither parses into full syllables nor is a Latin word. Callers must attest it (a phrase with
    exactly these initials) before reading it as pinyin: English words look like this too."""
    q = fold(query).replace("'", "")
    if not re.fullmatch(r"[a-z]{2,6}", q) or q in known_terms or _parses(q, syllables()):
        return False
    if q in frozenset(lexicon.read_rows("latin_words.txt")):
        return False
    return set(q) <= _INITIAL_LETTERS | set("aeo") and sum(ch in _INITIAL_LETTERS for ch in q) >= 2


def _count_syllables(run: str) -> int:
    best = [0] + [99] * len(run)
    for i in range(len(run)):
        for j in range(i + 1, min(len(run), i + 6) + 1):
            if run[i:j] in syllables():
                best[j] = min(best[j], best[i] + 1)
    return best[-1]


def _modes(text: str) -> str:
    """Per character of the space-free query: f (Latin run read in full syllables), a (initials), m (mixed),
    - (not Latin). A run that parses into full syllables is never read as initials, and the reverse."""
    out = []
    for token in text.split(" "):
        for run in re.split(r"([a-z]+)", token):
            if not _LETTERS.fullmatch(run):
                out.append("-" * len(run))
            elif _parses(run, syllables()):
                out.append("f" * len(run))
            else:
                out.append(("a" if set(run) <= _INITIAL_LETTERS else "m") * len(run))
    return "".join(out)


@dataclass
class _Node:
    children: dict[tuple[str, str], _Node] = field(default_factory=dict)
    by_letter: dict[str, list[tuple[str, _Node]]] = field(default_factory=dict)
    by_char: dict[str, list[_Node]] = field(default_factory=dict)
    term: str | None = None


class PinyinIndex:
    """Hanzi terms of a vocabulary reachable from pinyin, ranked by frequency."""

    def __init__(self, vocabulary: Mapping[str, float] | Iterable[tuple[str, float]]) -> None:
        items = vocabulary.items() if isinstance(vocabulary, Mapping) else vocabulary
        self._freq: dict[str, float] = {}
        self._known: set[str] = set()  # every term, Latin ones too: a query that is one is left alone
        self._root = _Node()
        for term, freq in items:
            self.add(term, freq)

    def add(self, term: str, freq: float = 1.0) -> None:
        """Add a term (two or more hanzi) or raise its frequency."""
        term = fold(term)
        self._known.add(term)
        if len(term) < 2 or not all(_is_han(ch) for ch in term):
            return
        if term in self._freq:
            self._freq[term] += freq
            return
        syls = reading(term)
        if len(syls) != len(term):
            return
        self._freq[term] = freq
        node = self._root
        for ch, syl in zip(term, syls, strict=True):
            child = node.children.get((ch, syl))
            if child is None:
                child = node.children[(ch, syl)] = _Node()
                node.by_letter.setdefault(syl[0], []).append((syl, child))
                node.by_char.setdefault(ch, []).append(child)
            node = child
        node.term = term

    def __contains__(self, term: object) -> bool:
        return term in self._freq

    def is_probably_pinyin(self, query: str) -> bool:
        """`is_probably_pinyin` with this vocabulary as the known terms."""
        return is_probably_pinyin(query, self._known)

    def could_be_initials(self, query: str) -> bool:
        """`could_be_initials` with this vocabulary as the known terms."""
        return could_be_initials(query, self._known)

    def _matches(self, q: str, start: int, breaks: frozenset[int], modes: str) -> dict[tuple[int, str], int]:
        """(end, term) → fewest abbreviated syllables, for terms read from q[start:]."""
        found: dict[tuple[int, str], int] = {}
        stack = [(self._root, start, 0, False)]
        while stack:
            node, pos, abbrev, latin = stack.pop()
            if node.term and latin and found.get((pos, node.term), 99) > abbrev:
                found[(pos, node.term)] = abbrev
            if pos >= len(q):
                continue
            ch = q[pos]
            for child in node.by_char.get(ch, ()):
                stack.append((child, pos + 1, abbrev, latin))
            for syl, child in node.by_letter.get(ch, ()):
                end = pos + len(syl)
                full = modes[pos] in "fm" and not any(b in breaks for b in range(pos + 1, end))
                if full and q.startswith(syl, pos):
                    stack.append((child, end, abbrev, True))
                ini = initial(syl)
                for typed in {ini, ini[0]} - {syl} if modes[pos] in "am" else ():
                    if q.startswith(typed, pos) and not (len(typed) == 2 and pos + 1 in breaks):
                        stack.append((child, pos + len(typed), abbrev + 1, True))
        return found

    def candidates(self, query: str, limit: int = 5) -> list[tuple[str, float]]:
        """Hanzi rewrites of a pinyin or mixed query with scores summing to at most 1, best first."""
        text = fold(query).replace("ü", "v").replace("'", " ")
        q = text.replace(" ", "")
        breaks = frozenset(i - n for n, i in enumerate(m.start() for m in re.finditer(" ", text)))
        if not q or not _LETTERS.search(q) or not self._freq:
            return []
        top = max(self._freq.values())
        modes = _modes(text)
        beams: list[dict[str, float]] = [{} for _ in range(len(q) + 1)]
        beams[0][""] = 1.0
        for pos in range(len(q)):
            states = sorted(beams[pos].items(), key=lambda kv: -kv[1])[:_BEAM]
            if not states:
                continue
            moves: list[tuple[int, str, float]] = []
            if not q[pos].isascii() or not q[pos].isalpha():
                moves.append((pos + 1, q[pos], 1.0))
            for (end, term), abbrev in self._matches(q, pos, breaks, modes).items():
                moves.append((end, term, self._freq[term] / top * _ABBREVIATION_FACTOR**abbrev * _PIECE_FACTOR))
            for text_so_far, weight in states:
                for end, piece, factor in moves:
                    key = text_so_far + piece
                    beams[end][key] = max(beams[end].get(key, 0.0), weight * factor)
        finals = {text: w for text, w in beams[len(q)].items() if not _LETTERS.search(text) and text != q}
        total = sum(finals.values())
        best = max(finals.values(), default=0.0)
        finals = {text: w for text, w in finals.items() if w >= best * _CUTOFF}
        ranked = sorted(finals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(text, weight / total) for text, weight in ranked]
