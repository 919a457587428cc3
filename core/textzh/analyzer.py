"""Segmentation into index and query terms: jieba + the government dictionary + compound sub-words.

How terms are made (variants compared with ops/bench/textzh_recall.py):

* The text is folded (`normalize.fold`) and cut by jieba (HMM on) with the bundled government
  dictionary and any admin words loaded, so 居民身份证, 不动产登记, 一网通办 stay whole.
* Every token of three or more characters is decomposed again, recursively: its best dictionary
  route *without* the whole-token edge gives the parts (中国农业发展银行 → 中国 + 农业发展银行 →
  农业 + 发展 + 银行; 养老金 → 养老). Parts of one character are not terms, and a part right after a
  negating character (不 非 无 未) is dropped, so 动产 is not found inside 不动产.
* Dictionary words of three or more characters are indexed wherever they occur, even across token
  boundaries, because the same text is cut differently in different contexts (居民/身份证补领).
* Measured on the THUOCL legal lexicon (4,033 shorter terms inside 9,208 longer ones): 97.5% of the
  sub-terms are found, against 74.2% with plain jieba, 94.1% with jieba's search mode and 95.1% with
  "every dictionary word inside a token", at 0.55 index terms per character (search mode: 0.60).
  On service-guide titles, 1.4% of the matches do not contain the query word (search mode: 1.0%).
* Tokens jieba invents (not in any dictionary) of three or more CJK characters also give their
  character bigrams, so names the dictionary lacks (穗康码) are still found by a query that is
  segmented differently. Only for unknown tokens: bigrams everywhere double the index (1.06 terms per
  character), let 和服 match 和服务, and found fewer sub-terms (95.2%).
* Query terms mirror index terms: a known token is kept whole (its parts are in the index wherever
  the whole is), an unknown token of three or more characters becomes its bigrams, and stop words
  and punctuation are dropped. Every query term of a text's own query is among its index terms.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

import jieba
import rjieba

from core.textzh import lexicon
from core.textzh.normalize import fold

_NEGATING = frozenset("不非无未")
_WORDLIKE = re.compile(r"\w")
_SUBWORD_CACHE_MAX = 200_000


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def _bigrams(token: str) -> list[str]:
    return [token[i : i + 2] for i in range(len(token) - 1)]


_ASCII_JOINED = re.compile(r"[A-Za-z0-9]+(?:[^A-Za-z0-9\s][A-Za-z0-9]*)+")
_ASCII_PARTS = re.compile(r"[A-Za-z0-9]+")


class Analyzer:
    """Turns text into folded index terms and query terms; thread-safe once built."""

    def __init__(self, extra_words: Iterable[str] = (), *, gov_dict: bool = True) -> None:
        self._pending = [fold(w) for w in extra_words]
        self._gov_dict = gov_dict
        self._lock = threading.Lock()
        self._tok: jieba.Tokenizer | None = None
        # The same dictionary in jieba's Rust port: it does the hot-path cut ~30x faster with the same
        # algorithm; jieba keeps the frequencies, the DAG and the sub-word decomposition.
        self._fast = rjieba.Jieba()
        self._parts: dict[str, tuple[str, ...]] = {}

    def _tokenizer(self) -> jieba.Tokenizer:
        tok = self._tok
        if tok is not None:
            return tok
        with self._lock:
            if self._tok is None:
                jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading at INFO
                tok = jieba.Tokenizer()
                tok.initialize()
                words = [*(lexicon.gov_terms() if self._gov_dict else ()), *self._pending]
                for word in words:
                    self._add(tok, self._fast, word)
                self._pending = []
                self._tok = tok
            return self._tok

    @staticmethod
    def _add(tok: jieba.Tokenizer, fast: rjieba.Jieba, word: str) -> None:
        word = fold(word)
        if word and tok.FREQ.get(word, 0) <= 0:
            tok.add_word(word)  # jieba picks the frequency that keeps the word whole
            fast.add_word(word, tok.FREQ[word], None)  # the Rust cut uses the very same frequency

    def add_words(self, words: Iterable[str]) -> None:
        """Add admin dictionary words; they take effect for every later call."""
        tok = self._tokenizer()
        with self._lock:
            for word in words:
                self._add(tok, self._fast, word)
            self._parts.clear()

    def is_known(self, word: str) -> bool:
        """Whether the (folded) word is in the dictionary."""
        return self._tokenizer().FREQ.get(fold(word), 0) > 0

    def tokens(self, text: str) -> list[str]:
        """Folded jieba tokens without whitespace and punctuation; stop words kept."""
        return [token for _, token in self._spans(fold(text))]

    def boundaries(self, folded: str) -> frozenset[int]:
        """Offsets in already-folded text where a jieba token starts or ends."""
        out: set[int] = set()
        for start, token in self._spans(folded):
            out.update((start, start + len(token)))
        return frozenset(out)

    def _spans(self, folded: str) -> list[tuple[int, str]]:
        self._tokenizer()  # the dictionaries are loaded
        out, offset = [], 0
        for token in self._fast.cut(folded, True):
            if _WORDLIKE.search(token):
                out.append((offset, token))
            offset += len(token)
        return out

    def parts(self, token: str) -> tuple[str, ...]:
        """Dictionary sub-words of a token, found by recursive decomposition (see module docstring)."""
        cached = self._parts.get(token)
        if cached is None:
            cached = tuple(self._decompose(token))
            if len(self._parts) > _SUBWORD_CACHE_MAX:
                self._parts.clear()
            self._parts[token] = cached
        return cached

    def _decompose(self, token: str) -> list[str]:
        n = len(token)
        if n < 3:
            return []
        tok = self._tokenizer()
        dag = tok.get_DAG(token)
        dag[0] = [end for end in dag[0] if end != n - 1] or [0]
        route: dict[int, tuple[float, int]] = {}
        tok.calc(token, dag, route)
        pieces, i = [], 0
        while i < n:
            end = route[i][1] + 1
            pieces.append(token[i:end])
            i = end
        out: list[str] = []
        for before, piece in zip(["", *pieces], pieces, strict=False):
            if len(piece) >= 2 and before not in _NEGATING and tok.FREQ.get(piece, 0) > 0:
                out.append(piece)
                out.extend(self.parts(piece))
        return out

    def _unknown_cjk(self, token: str) -> bool:
        return len(token) >= 3 and _is_cjk(token) and not self._tokenizer().FREQ.get(token, 0) > 0

    def _long_words(self, folded: str) -> dict[int, list[str]]:
        """Dictionary words of 3+ characters by start offset (jieba's DAG, read from the Rust port's full cut)."""
        freq = self._tokenizer().FREQ
        out: dict[int, list[str]] = {}
        pos = 0
        for word in self._fast.cut_all(folded):
            if len(word) < 3:
                continue  # a shorter word starts at or after the last long one: the search below still holds
            # cut_all yields words in order of their start, so the first occurrence from the last start is it,
            # unless that occurrence was this same word's previous one
            pos = folded.find(word, pos)
            while word in out.get(pos, ()):
                pos = folded.find(word, pos + 1)
            if freq.get(word, 0) > 0:
                out.setdefault(pos, []).append(word)
        return out

    def index_terms(self, text: str) -> list[str]:
        """Terms to index for a text, in order, repeated as often as they occur."""
        folded = fold(text)
        stop = lexicon.stopwords()
        spans = self._spans(folded)
        long_words = self._long_words(folded)
        starts = sorted(long_words)
        next_long = 0
        out: list[str] = []
        for start, token in spans:
            terms = [] if token in stop else [token]
            if terms and _ASCII_JOINED.fullmatch(token):
                # "0311-88615047", "a.gov.cn": the whole run and its parts, so part of a number is found too
                terms.extend(p for p in _ASCII_PARTS.findall(token) if p != token)
            elif terms and self._unknown_cjk(token):
                terms.extend(_bigrams(token))
            elif terms:
                terms.extend(self.parts(token))
            # Dictionary words of 3+ characters starting here, even across token boundaries: the same
            # text is cut differently in different contexts (居民/身份证补领), a long word is still found.
            end = start + len(token)
            while next_long < len(starts) and starts[next_long] < start:
                next_long += 1  # long words inside skipped punctuation or whitespace
            while next_long < len(starts) and starts[next_long] < end:
                for word in long_words[starts[next_long]]:
                    if word not in terms and word not in stop:
                        terms.append(word)
                next_long += 1
            out.extend(terms)
        return out

    def query_terms(self, text: str) -> list[str]:
        """Terms a query must match, deduplicated in order; stop words and punctuation dropped."""
        stop = lexicon.stopwords()
        out: list[str] = []
        for token in self.tokens(text):
            if token in stop:
                continue
            out.extend(_bigrams(token) if self._unknown_cjk(token) else [token])
        return list(dict.fromkeys(out))


_default: Analyzer | None = None
_default_lock = threading.Lock()


def get_analyzer() -> Analyzer:
    """The process-wide analyzer (government dictionary loaded), built on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Analyzer()
    return _default
