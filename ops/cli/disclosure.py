"""`yiwang disclosure import FILE [--unit CODE]`, `load-demo`, `rollups`, `outbox`:
grassroots disclosure from the command line (docs/disclosure.md)."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tqdm import tqdm

from core.clock import system_clock
from core.disclosure import (
    ImportReport,
    computed_rollups,
    get_unit,
    import_file,
    notices,
    rebuild_rollups,
    stored_rollups,
)
from core.errors import NotFound
from core.services import open_services
from core.settings import Settings
from ops.cli._files import input_file
from ops.runtime import prepare, resolve

SHOWN_ERRORS = 50
DEMO_CITY = "510100000000"


def render(path: Path, report: ImportReport) -> str:
    """What a user reads: the counts, then each refused row with its line and reason."""
    out = [
        f"{path.name}: {report.kind} ({report.encoding}), {report.rows} rows: created {report.created}, updated "
        f"{report.updated}, unchanged {report.unchanged}, refused {len(report.errors)}"
    ]
    out += [f"  line {e.line}: {e.reason}" for e in report.errors[:SHOWN_ERRORS]]
    if len(report.errors) > SHOWN_ERRORS:
        out.append(f"  … and {len(report.errors) - SHOWN_ERRORS} more")
    return "\n".join(out)


async def import_files(
    settings: Settings, paths: list[Path], *, unit: str | None, kind: str | None, quiet: bool, announce: bool = True
) -> list[ImportReport]:
    reports = []
    async with open_services(settings, name="disclosure-import", pool_size=3) as services:
        await services.bus.ensure_streams()
        for path in paths:
            with tqdm(desc=f"import {path.name}", unit="row", disable=quiet) as bar:
                report = await import_file(
                    pool=services.pool,
                    bus=services.bus if announce else None,
                    path=path,
                    now=system_clock(),
                    scope=unit,
                    kind=kind,
                    by="cli",
                    progress=bar.update,
                    base_url=settings.issuer,
                )
            print(render(path, report))
            reports.append(report)
    return reports


def run_import(args: argparse.Namespace) -> int:
    path = input_file(args.file)
    resolved = resolve()
    prepare(resolved.settings)
    reports = asyncio.run(import_files(resolved.settings, [path], unit=args.unit, kind=args.kind, quiet=args.quiet))
    return 1 if any(r.errors for r in reports) else 0


async def load_demo(
    settings: Settings, *, townships: int | None = None, items_per_village: int = 12, quiet: bool = True
) -> list[ImportReport]:
    """Write the demo's files (成都市's real units, generated villages and data) and import them."""
    from ops.demo.disclosure import write_demo

    with tempfile.TemporaryDirectory(prefix="yw-disclosure-demo-") as tmp:
        files = write_demo(Path(tmp), items_per_village=items_per_village, townships=townships)
        return await import_files(settings, files.in_order(), unit=None, kind=None, quiet=quiet)


async def demo_banner(settings: Settings) -> list[str]:
    """For `yiwang up --demo`: load the demo once (skipped when its city is there already); the banner line."""
    async with open_services(settings, name="disclosure-demo", pool_size=1) as services:
        try:
            await get_unit(pool=services.pool, code=DEMO_CITY)
            loaded = True
        except NotFound:
            loaded = False
    if not loaded:
        await load_demo(settings)
    query = f'{{ unit(code: "{DEMO_CITY}") {{ name rollup {{ items funds {{ count amount }} }} }} }}'
    return [f"  disclosure 成都市 (20 districts, 261 townships, generated villages): {query}"]


def run_demo(args: argparse.Namespace) -> int:
    resolved = resolve()
    prepare(resolved.settings)
    reports = asyncio.run(
        load_demo(
            resolved.settings, townships=args.townships, items_per_village=args.items_per_village, quiet=args.quiet
        )
    )
    return 1 if any(r.errors for r in reports) else 0


async def _rollups(settings: Settings, rebuild: bool) -> int:
    async with open_services(settings, name="disclosure-rollups", pool_size=2) as services:
        if rebuild:
            print(f"rebuilt {await rebuild_rollups(pool=services.pool)} roll-up rows")
            return 0
        stored, computed = await stored_rollups(pool=services.pool), await computed_rollups(pool=services.pool)
        wrong = sorted(k for k in stored.keys() | computed.keys() if stored.get(k) != computed.get(k))
        for unit, metric in wrong[:SHOWN_ERRORS]:
            print(f"  {unit} {metric}: stored {stored.get((unit, metric))}, computed {computed.get((unit, metric))}")
        print(f"{len(computed)} roll-up rows, {len(wrong)} differ from a recount")
        return 1 if wrong else 0


def run_rollups(args: argparse.Namespace) -> int:
    resolved = resolve()
    prepare(resolved.settings)
    return asyncio.run(_rollups(resolved.settings, args.rebuild))


async def _outbox(settings: Settings) -> int:
    async with open_services(settings, name="disclosure-outbox", pool_size=2) as services:
        now = system_clock()
        sent = await notices.resend_outbox(pool=services.pool, bus=services.bus, now=now, base_url=settings.issuer)
        delivered = await notices.deliver_pending(pool=services.pool, notifier=notices.InboxNotifier(), now=now)
        print(f"re-sent {sent} announcements left in the outbox; delivered {delivered} pending notifications")
        return 0


def run_outbox(args: argparse.Namespace) -> int:
    resolved = resolve()
    prepare(resolved.settings)
    return asyncio.run(_outbox(resolved.settings))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("disclosure", help="grassroots disclosure: import files, load the demo, check roll-ups")
    s = p.add_subparsers(dest="disclosure_command", metavar="COMMAND", required=True)
    imp = s.add_parser("import", help="import a CSV or XLSX file of units, items, funds, spending or assets")
    imp.add_argument("file", metavar="FILE", help=".csv (UTF-8 or GBK) or .xlsx; columns: docs/disclosure.md")
    imp.add_argument("--unit", help="12-digit code: refuse rows of units outside it (a district's own import)")
    imp.add_argument("--kind", choices=["units", "items", "funds", "spending", "assets"], help="default: from columns")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=run_import)
    demo = s.add_parser("load-demo", help="成都市's real districts and townships with generated villages and data")
    demo.add_argument("--townships", type=int, help="only the first N townships (default: all 261)")
    demo.add_argument("--items-per-village", type=int, default=12, help="items per village (default 12)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=run_demo)
    roll = s.add_parser("rollups", help="compare every roll-up with a recount (--rebuild: replace them)")
    roll.add_argument("--rebuild", action="store_true", help="recompute every roll-up from the stored data")
    roll.set_defaults(func=run_rollups)
    out = s.add_parser("outbox", help="re-send announcements a crashed writer left; deliver pending notifications")
    out.set_defaults(func=run_outbox)
