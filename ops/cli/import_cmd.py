"""`yiwang import --kind document|qa FILE`: load documents or Q&A pairs without crawling; returns when usable."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from core.documents.importer import ImportSummary, import_documents
from core.errors import Invalid
from core.qa.importer import import_qa
from core.services import open_services
from core.settings import Settings
from ops.cli._files import input_file
from ops.runtime import prepare, resolve

SHOWN_REJECTIONS = 50
BOM = b"\xef\xbb\xbf"


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        yield from fh


def render(summary: Any) -> str:
    """The summary a user reads: counts, then each rejected line with its reason."""
    rejected = list(summary.rejected)
    counts = f"added {summary.added}, updated {summary.updated}, unchanged {summary.unchanged}"
    out = [f"{counts}, rejected {len(rejected)}"]
    out += [f"  line {line}: {reason}" for line, reason in rejected[:SHOWN_REJECTIONS]]
    if len(rejected) > SHOWN_REJECTIONS:
        out.append(f"  … and {len(rejected) - SHOWN_REJECTIONS} more")
    waited = getattr(summary, "waited_s", None)
    if waited is not None:
        out.append(f"searchable: the search index has every change (waited {waited:.1f} s)")
    return "\n".join(out)


def check_has_records(path: Path) -> None:
    """Invalid for a file with nothing to import: empty, or only blank lines (a byte-order mark is no record).
    Reading stops at the first line that holds something, so a large file costs nothing here."""
    with path.open("rb") as fh:
        blank = 0
        for line in fh:
            if line.strip().removeprefix(BOM).strip():
                return
            blank += 1
    what = "is empty" if blank == 0 else f"has only blank lines ({blank})"
    raise Invalid(f"{path} {what}: nothing to import (one JSON object a line, docs/import.md)")


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {raw}")
    return value


def _count_lines(path: Path) -> int:
    with input_file(path).open("rb") as fh:
        return sum(1 for _ in fh)


async def run_import(settings: Settings, args: argparse.Namespace, *, show_progress: bool = True) -> Any:
    """Import the file of `args` (the parsed command line); returns the importer's summary."""
    path = Path(args.file)
    total = _count_lines(path)
    async with open_services(settings, name="import", pool_size=3) as services:
        await services.bus.ensure_streams()
        with tqdm(total=total, unit="line", desc=f"import {args.kind}", disable=not show_progress) as bar:
            if args.kind == "qa":
                return await import_qa(pool=services.pool, bus=services.bus, lines=_lines(path), progress=bar.update)
            return await import_documents(
                services.pool,
                services.bus,
                _lines(path),
                default_site=args.site,
                batch_size=args.batch,
                max_text_chars=settings.event_text_cap,
                progress=bar.update,
                wait=not args.no_wait,
                wait_timeout_s=args.wait_timeout,
            )


def run(args: argparse.Namespace) -> int:
    if args.kind == "qa" and args.site:  # the knowledge base answers on every site: a pair has none to go to
        raise Invalid("--site is for --kind document: Q&A pairs belong to no site (one knowledge base for the group)")
    check_has_records(input_file(args.file))  # before any service starts
    resolved = resolve()
    prepare(resolved.settings)
    summary: ImportSummary = asyncio.run(run_import(resolved.settings, args, show_progress=not args.quiet))
    print(render(summary))
    return 1 if summary.rejected else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import documents (or Q&A) from a JSONL file; returns when searchable")
    p.add_argument("file", metavar="FILE.jsonl", help="one JSON object a line (format: docs/import.md)")
    p.add_argument("--kind", choices=["document", "qa"], default="document", help="what the file holds")
    p.add_argument("--site", help="site id for lines that name none (default: the site 'imported')")
    p.add_argument("--batch", type=_positive, default=200, help="lines stored per transaction (default 200)")
    p.add_argument("--no-wait", action="store_true", help="return once stored, without waiting for the index")
    p.add_argument("--wait-timeout", type=_seconds, default=600.0, help="seconds to wait for the index (default 600)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
