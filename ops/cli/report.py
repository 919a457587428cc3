"""`yiwang report SITE --output FILE`: the inspection report of a site as one self-contained HTML file."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from core.errors import Invalid
from core.monitoring import inspect
from core.monitoring.report import ReportData, gather_report, render_report
from core.services import Services, open_services
from core.settings import Settings
from ops.cli._files import output_file
from ops.runtime import prepare, resolve


async def site_report(services: Services, site_id: str, *, weeks: int = 12, fresh: bool = True) -> ReportData:
    """Inspect first when `fresh`, then gather what the report shows."""
    now = services.clock()
    if fresh:
        await inspect(services.pool, site_id, now)
    return await gather_report(services.pool, site_id, now, weeks=weeks)


def summary(data: ReportData, output: Path) -> str:
    card = data.scorecard
    verdict = "not inspected yet" if card is None else f"{'passed' if card.passed else 'FAILED'}, score {card.score:g}"
    return f"wrote {output}: {data.site_name} — {verdict}, {len(data.findings)} open findings"


async def _gather(settings: Settings, site_id: str, weeks: int, fresh: bool) -> ReportData:
    async with open_services(settings, name="report", pool_size=2) as services:
        return await site_report(services, site_id, weeks=weeks, fresh=fresh)


def report_cmd(args: argparse.Namespace) -> int:
    output = output_file(args.output)
    resolved = resolve()
    prepare(resolved.settings)
    data = asyncio.run(_gather(resolved.settings, args.site, args.weeks, not args.no_inspect))
    try:
        output.write_text(render_report(data), encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"cannot write {output}: {exc.strerror}") from exc
    print(summary(data, output))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a site's inspection report (HTML: scorecard, trend chart, findings)")
    p.add_argument("site", metavar="SITE", help="the site id")
    p.add_argument("--output", "-o", required=True, help="the HTML file to write")
    p.add_argument("--weeks", type=int, default=12, help="weeks of the update trend (default 12)")
    p.add_argument("--no-inspect", action="store_true", help="use the latest stored inspection instead of inspecting")
    p.set_defaults(func=report_cmd)
