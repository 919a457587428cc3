"""Pure figures of the load and soak benches: locust's CSV row, percentiles, the knee, the soak's verdict."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

KNEE_MS = 100.0  # the p99 past which a step is over the knee
RSS_GROWTH = 0.10  # the soak's bound on RSS growth after warm-up


@dataclass(frozen=True)
class Step:
    """One locust step's aggregate: what it asked, what it got."""

    target: float  # requests/s asked (users × per-user rate)
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def parse_locust_stats(text: str, target: float) -> Step:
    """The `Aggregated` row of locust's `<prefix>_stats.csv` (`--csv`) as a Step; ValueError when it has none."""
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("Name") == "Aggregated":
            return Step(
                target=target,
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=_ms(row["50%"]),
                p95=_ms(row["95%"]),
                p99=_ms(row["99%"]),
            )
    raise ValueError("locust's stats CSV has no Aggregated row (did the step send any request?)")


def _ms(value: str) -> float:
    return math.nan if value in ("", "N/A") else float(value)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def knee(steps: Sequence[Step], limit_ms: float = KNEE_MS) -> tuple[Step | None, Step | None]:
    """(the last step whose p99 stays within `limit_ms`, the first step past it); either may be None."""
    below = None
    for step in steps:
        if step.p99 > limit_ms or step.failures:
            return below, step
        below = step
    return below, None


@dataclass(frozen=True)
class Verdict:
    """The soak's judgement: ok, and one line per finding."""

    ok: bool
    lines: list[str]


def judge_soak(series: dict[str, list[float]], *, warmup: int, kind: str, slack: float = 0) -> Verdict:
    """Judge per-minute samples per process: `rss` may grow at most RSS_GROWTH from the first sample after
    `warmup` minutes to the last; `flat` figures (fds, connections) may end at most `slack` above that sample."""
    lines, ok = [], True
    for name, values in series.items():
        kept = [v for v in values[warmup:] if not math.isnan(v)]
        if len(kept) < 2:
            lines.append(f"{name}: too few samples after warm-up ({len(kept)})")
            ok = False
            continue
        first, last = kept[0], kept[-1]
        if kind == "rss":
            growth = (last - first) / first if first else 0.0
            good = growth < RSS_GROWTH
            lines.append(f"{name}: RSS {first:.0f} → {last:.0f} MB ({growth:+.1%}) {'ok' if good else 'GROWS'}")
        else:
            good = last <= first + slack
            lines.append(f"{name}: {kind} {first:.0f} → {last:.0f} (max {max(kept):.0f}) {'ok' if good else 'GROWS'}")
        ok = ok and good
    return Verdict(ok, lines)
