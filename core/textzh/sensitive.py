"""Sensitive-word detection: an Aho-Corasick automaton over an admin-editable list, on folded text."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from core.textzh import lexicon
from core.textzh.normalize import fold, fold_char

# Characters people put inside a word to slip past a filter (傻 逼, 傻*逼) are skipped while matching.
_FILLER = frozenset(" \t\r\n*-_.·,，。!！?？~～|/\\'\"`^+=#@$%&")


@dataclass(frozen=True)
class Hit:
    """A listed word found in the text; start/end index the original text."""

    word: str
    start: int
    end: int


class _Automaton:
    def __init__(self, words: Iterable[str]) -> None:
        self.goto: list[dict[str, int]] = [{}]
        self.fail: list[int] = [0]
        self.out: list[list[str]] = [[]]
        for word in words:
            node = 0
            for ch in word:
                if ch not in self.goto[node]:
                    self.goto.append({})
                    self.fail.append(0)
                    self.out.append([])
                    self.goto[node][ch] = len(self.goto) - 1
                node = self.goto[node][ch]
            self.out[node].append(word)
        queue = deque(self.goto[0].values())
        while queue:
            node = queue.popleft()
            for ch, child in self.goto[node].items():
                queue.append(child)
                back = self.fail[node]
                while back and ch not in self.goto[back]:
                    back = self.fail[back]
                self.fail[child] = self.goto[back].get(ch, 0) if self.goto[back].get(ch, 0) != child else 0
                self.out[child] = self.out[child] + self.out[self.fail[child]]

    def scan(self, chars: str) -> Iterable[tuple[int, str]]:
        """(index of the last character, word) for every occurrence."""
        node = 0
        for i, ch in enumerate(chars):
            while node and ch not in self.goto[node]:
                node = self.fail[node]
            node = self.goto[node].get(ch, 0)
            for word in self.out[node]:
                yield i, word


class SensitiveFilter:
    """Finds and masks listed words, whatever their script, width or case, and across filler characters."""

    def __init__(self, words: Iterable[str] = (), allowed: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._words: set[str] = set()
        self._automaton: _Automaton | None = None
        # Innocent words that contain a listed one (医疗废物 holds 废物): a hit inside one of them is no hit.
        self._allowed = _Automaton(sorted({_cleaned(w) for w in allowed} - {""}))
        self.add(words)

    @classmethod
    def default(cls) -> SensitiveFilter:
        """A filter with the small bundled list (core/textzh/data/sensitive_default.txt) and the compounds that
        contain a listed word innocently (sensitive_allowed.txt: 医疗废物, 废物利用 …)."""
        return cls(lexicon.read_rows("sensitive_default.txt"), lexicon.read_rows("sensitive_allowed.txt"))

    def add(self, words: Iterable[str]) -> None:
        """Add words (folded; filler characters inside them are ignored)."""
        cleaned = {_cleaned(w) for w in words}
        with self._lock:
            self._words |= cleaned - {""}
            self._automaton = None

    def remove(self, words: Iterable[str]) -> None:
        """Remove words."""
        with self._lock:
            self._words -= {fold(w) for w in words}
            self._automaton = None

    def words(self) -> list[str]:
        """The current list, sorted, for storing as rows."""
        return sorted(self._words)

    def _built(self) -> _Automaton:
        automaton = self._automaton
        if automaton is None:
            with self._lock:
                if self._automaton is None:
                    self._automaton = _Automaton(sorted(self._words))
                automaton = self._automaton
        return automaton

    def find(self, text: str) -> list[Hit]:
        """Every listed word in the text, leftmost first, longest first at one start."""
        kept, where = [], []
        for i, ch in enumerate(text):
            folded = fold_char(ch)
            if len(folded) == 1 and folded not in _FILLER:
                kept.append(folded)
                where.append(i)
        chars = "".join(kept)
        allowed = [(end - len(word) + 1, end) for end, word in self._allowed.scan(chars)]
        hits = {
            Hit(word, where[end - len(word) + 1], where[end] + 1)
            for end, word in self._built().scan(chars)
            if not _inside_latin_word(text, where[end - len(word) + 1], where[end], word)
            and not any(first <= end - len(word) + 1 and end <= last for first, last in allowed)
        }
        return sorted(hits, key=lambda h: (h.start, -h.end))

    def mask(self, text: str, char: str = "*") -> str:
        """The text with every character of every hit replaced by `char` (filler inside a hit too)."""
        chars = list(text)
        for hit in self.find(text):
            chars[hit.start : hit.end] = char * (hit.end - hit.start)
        return "".join(chars)


def _cleaned(word: str) -> str:
    """A listed word folded, without the filler characters the matcher skips."""
    return "".join(ch for ch in fold(word) if ch not in _FILLER)


def _inside_latin_word(text: str, first: int, last: int, word: str) -> bool:
    """Latin words match whole words only: sb is not found inside usb."""
    if not word.isascii():
        return False
    before = fold_char(text[first - 1]) if first > 0 else ""
    after = fold_char(text[last + 1]) if last + 1 < len(text) else ""
    return any(ch.isascii() and ch.isalnum() for ch in before + after)
