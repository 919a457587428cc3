"""Which searches may become suggestions: once per client per day, only with results, never sensitive words."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from core.search.analysis import normalize_keyword
from core.search.signing import Signer
from core.textzh.sensitive import SensitiveFilter

log = logging.getLogger(__name__)

MAX_COUNTED_CHARS = 40
MAX_PENDING = 50_000  # rows held between flushes; past it a flood is dropped, not buffered


@dataclass(frozen=True, kw_only=True)
class SuggestPolicy:
    """When a counted query surfaces: `min_clients` client-days within the last `window_days` days."""

    min_clients: int = 5
    window_days: int = 30

    def since(self, today: date) -> date:
        return today - timedelta(days=self.window_days - 1)


class QueryTally:
    """Searches counted in memory until the next flush, each (day, query, client hash) once."""

    def __init__(self, signer: Signer, sensitive: SensitiveFilter) -> None:
        self._signer = signer
        self.sensitive = sensitive
        self._pending: set[tuple[date, str, str]] = set()

    def count(self, text: str, *, client: str | None, found: bool, day: date) -> bool:
        """Count a search for suggestions; False when it does not qualify (no client, no results, too long,
        a sensitive word)."""
        query = normalize_keyword(text)
        if not (client and found and query) or len(query) > MAX_COUNTED_CHARS or not self.acceptable(query):
            return False
        if len(self._pending) >= MAX_PENDING:
            log.warning("query counts dropped: too many waiting for the next flush")
            return False
        self._pending.add((day, query, self._signer.client_hash(client, day)))
        return True

    def acceptable(self, query: str) -> bool:
        """No listed sensitive word (the list may have grown since a query was counted, so reads check too)."""
        return not self.sensitive.find(query)

    def drain(self) -> list[tuple[date, str, str]]:
        rows, self._pending = sorted(self._pending), set()
        return rows

    def restore(self, rows: list[tuple[date, str, str]]) -> None:
        """Rows a failed flush gives back, kept for the next one."""
        self._pending.update(rows[: max(0, MAX_PENDING - len(self._pending))])
