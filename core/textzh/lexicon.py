"""Bundled word lists under core/textzh/data, read lazily and once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import resources
from typing import TypeVar

T = TypeVar("T")
_lock = threading.Lock()
_cache: dict[str, object] = {}


def read_rows(name: str) -> list[str]:
    """Non-empty, non-comment lines of a bundled data file (UTF-8)."""
    text = resources.files("core.textzh").joinpath("data", name).read_text(encoding="utf-8")
    rows = (line.strip() for line in text.splitlines())
    return [row for row in rows if row and not row.startswith("#")]


def _once(key: str, build: Callable[[], T]) -> T:
    with _lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]  # type: ignore[return-value]


def gov_terms() -> tuple[str, ...]:
    """The bundled government dictionary (core/textzh/data/gov_dict.txt), in file order."""
    return _once("gov", lambda: tuple(row.split()[0] for row in read_rows("gov_dict.txt")))


def stopwords() -> frozenset[str]:
    """Function words and question fillers dropped from index and query terms."""
    return _once("stop", lambda: frozenset(read_rows("stopwords.txt")))
