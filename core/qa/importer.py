"""`yiwang import --kind qa`: pairs from JSONL or CSV (id, question, answer, optional basis URL, tags)."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from core.errors import Invalid
from core.qa import store
from core.qa.models import Basis, QaPair, check_pair
from core.textzh.charsets import UNREADABLE, decode_line

BATCH = 500
_URL_KEYS = ("basis_url", "basisUrl", "basis", "url")


@dataclass
class QaImportSummary:
    """What an import did; `rejected` holds (line number, reason) for every line not stored."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    version: int = 0


def _tags(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(str(t).strip() for t in value if str(t).strip())
    text = str(value).strip()
    if text.startswith("["):
        try:
            listed = json.loads(text)
        except ValueError:  # one bad cell is that line's rejection, never the end of the import
            raise Invalid(
                "tags start like a JSON list but are not one: give a list, or tags separated by commas"
            ) from None
        return _tags(listed)
    return tuple(t.strip() for t in text.replace("，", ",").replace("|", ",").split(",") if t.strip())


def pair_from_record(record: dict[str, Any], *, source: str = "import") -> QaPair:
    """A validated pair from one JSON object or CSV row; raises Invalid saying what is wrong."""
    if not isinstance(record, dict):
        raise Invalid("each line must be a JSON object")
    text = {k: ("" if v is None else str(v).strip()) for k, v in record.items() if not isinstance(v, list | dict)}
    url = next((text[k] for k in _URL_KEYS if text.get(k)), None)
    basis = Basis(
        url,
        text.get("basis_title") or text.get("basisTitle") or None,
        text.get("basis_kind") or text.get("basisKind") or ("policy" if url else "other"),
    )
    pair = QaPair(
        id=text.get("id", ""),
        question=text.get("question", ""),
        answer=text.get("answer", ""),
        basis=basis,
        tags=_tags(record.get("tags")),
        status="active",
        source=source,
    )
    check_pair(id=pair.id, question=pair.question, answer=pair.answer, tags=pair.tags, basis=basis)
    return pair


Numbered = Iterator[tuple[int, str | None]]
Read = Iterator[tuple[int, dict[str, Any] | Exception]]


def records(lines: Iterable[bytes | str]) -> Read:
    """(line number, record or the reason it is unreadable) from JSONL, or CSV/TSV with a header row; in UTF-8 or
    GB18030/GBK, line by line. A CSV record's number is that of the line it ends on."""
    decoded = ((n, decode_line(raw)) for n, raw in enumerate(lines, 1))
    for n, line in decoded:
        if line is None:
            yield n, Invalid(UNREADABLE)
        elif line.strip():
            reader = _jsonl if line.lstrip().startswith("{") else _csv
            yield from reader(n, line, decoded)
            return


def _jsonl(start: int, first: str, rest: Numbered) -> Read:
    for n, text in itertools.chain([(start, first)], rest):  # one line at a time, however long the file
        if text is None:
            yield n, Invalid(UNREADABLE)
        elif text.strip():
            try:
                yield n, json.loads(text)
            except ValueError as exc:
                yield n, Invalid(f"not JSON: {exc}")


def _csv(n: int, first: str, rest: Numbered) -> Read:
    delimiter = "\t" if "\t" in first else ","
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    missing = {"id", "question", "answer"} - set(header)
    if missing:
        yield n, Invalid(f"the CSV header lacks {', '.join(sorted(missing))}")
        return
    unreadable: list[int] = []
    at = [n]  # the number of the last line the CSV reader took

    def text_lines() -> Iterator[str]:
        for n, text in rest:
            at[0] = n
            if text is None:
                unreadable.append(n)
            else:
                yield text

    for row in csv.DictReader(text_lines(), fieldnames=header, delimiter=delimiter):
        while unreadable:
            yield unreadable.pop(0), Invalid(UNREADABLE)
        yield at[0], {k: v for k, v in row.items() if k is not None}
    while unreadable:
        yield unreadable.pop(0), Invalid(UNREADABLE)


async def import_qa(
    *,
    pool: asyncpg.Pool,
    lines: Iterable[bytes | str],
    bus: object | None = None,
    progress: Callable[[int], object] | None = None,
    source: str = "import",
    batch_size: int = BATCH,
) -> QaImportSummary:
    """Store every valid pair; on return they are answerable by every process (they reload on their next ask).

    Lines that fail validation are reported, not stored; a file may be imported again (unchanged pairs stay
    as they are). `bus` is accepted for the import command's uniform call and not needed."""
    summary = QaImportSummary()
    batch: list[QaPair] = []
    seen: dict[str, int] = {}

    async def flush() -> None:
        if batch:
            async with pool.acquire() as conn, conn.transaction():
                outcome = await store.upsert_pairs(conn, batch)
            for state in outcome.values():
                setattr(summary, state, getattr(summary, state) + 1)
            batch.clear()

    for n, record in records(lines):
        if progress is not None:
            progress(1)
        try:
            if isinstance(record, Exception):
                raise record
            pair = pair_from_record(record, source=source)
            if pair.id in seen:
                raise Invalid(f"id {pair.id!r} was already given on line {seen[pair.id]}")
        except Invalid as exc:
            summary.rejected.append((n, exc.message))
            continue
        seen[pair.id] = n
        batch.append(pair)
        if len(batch) >= batch_size:
            await flush()
    await flush()
    summary.version = await store.current_version(pool)
    return summary
