"""Pure figures of the load and soak benches: locust's CSV row, percentiles, the knee, the soak's verdict."""

from __future__ import annotations

import csv
import io
import math
import re
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


_BUCKET = re.compile(r"^yw_http_request_seconds_bucket\{(?P<labels>[^}]*)\} (?P<count>\S+)$", re.MULTILINE)


def _graphql_buckets(metrics_text: str) -> dict[float, float]:
    """Cumulative counts by upper bound (s) of the answered (200) POST /graphql requests of a /metrics page."""
    out: dict[float, float] = {}
    for m in _BUCKET.finditer(metrics_text):
        labels = dict(part.split("=", 1) for part in m["labels"].split(","))
        if labels.get("route") == '"/graphql"' and labels.get("method") == '"POST"' and labels.get("status") == '"200"':
            le = labels["le"].strip('"')
            out[math.inf if le == "+Inf" else float(le)] = float(m["count"])
    return out


def server_quantiles(before: str, after: str, qs: Sequence[float] = (50, 99)) -> list[float]:
    """Server-side percentiles (ms) of the /graphql requests answered between two /metrics pages, as the upper
    bound of the histogram bucket each falls in (the web's own time, without the client's and the network's);
    NaN when none was answered."""
    start, end = _graphql_buckets(before), _graphql_buckets(after)
    bounds = sorted(end)
    counts = [end[b] - start.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return [math.nan for _ in qs]
    return [next(b for b, c in zip(bounds, counts, strict=True) if c >= q / 100 * total) * 1000 for q in qs]


_GC = re.compile(
    r'^yw_gc_pause_seconds_(?P<kind>count|sum)\{generation="(?P<generation>\d)"\} (?P<value>\S+)$', re.MULTILINE
)


def gc_pauses(before: str, after: str) -> dict[int, tuple[int, float]]:
    """Collections of each generation of the web's garbage collector between two /metrics pages, as (how many,
    seconds in all); empty when the page has no `yw_gc_pause_seconds`."""

    def read(text: str) -> dict[tuple[int, str], float]:
        return {(int(m["generation"]), m["kind"]): float(m["value"]) for m in _GC.finditer(text)}

    start, end = read(before), read(after)
    out: dict[int, tuple[int, float]] = {}
    for generation in sorted({g for g, _ in end}):
        count = end.get((generation, "count"), 0.0) - start.get((generation, "count"), 0.0)
        took = end.get((generation, "sum"), 0.0) - start.get((generation, "sum"), 0.0)
        out[generation] = (int(count), took)
    return out


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


def judge_soak(series: dict[str, list[float]], *, warmup: int, kind: str, slack: float = 0, period: int = 1) -> Verdict:
    """Judge per-minute samples per process after `warmup` minutes, comparing the highest sample of the first
    `period` minutes with the highest of the last `period`: `rss` may grow at most RSS_GROWTH, `flat` figures (fds,
    connections) at most `slack`. A process whose memory rises and falls with the crawls (NATS: 13 → 27 → 18 MB
    every five minutes) is compared peak with peak over a whole crawl period, not a trough with a peak."""
    lines, ok = [], True
    for name, values in series.items():
        kept = [v for v in values[warmup:] if not math.isnan(v)]
        if len(kept) < 2:
            lines.append(f"{name}: too few samples after warm-up ({len(kept)})")
            ok = False
            continue
        window = max(1, min(period, len(kept) // 2))
        first, last = max(kept[:window]), max(kept[-window:])
        if kind == "rss":
            growth = (last - first) / first if first else 0.0
            good = growth < RSS_GROWTH
            lines.append(f"{name}: RSS {first:.0f} → {last:.0f} MB ({growth:+.1%}) {'ok' if good else 'GROWS'}")
        else:
            good = last <= first + slack
            lines.append(f"{name}: {kind} {first:.0f} → {last:.0f} (max {max(kept):.0f}) {'ok' if good else 'GROWS'}")
        ok = ok and good
    return Verdict(ok, lines)


def own_fds(fds: dict[str, list[float]]) -> dict[str, list[float]]:
    """The open-file series a leak check judges: not Postgres's, whose backends each keep a cache of open relation
    files (up to max_files_per_process) that rises and falls with what they touch (600-1,200 in a 40-minute soak,
    no trend); its backends are counted by the connections of the other processes."""
    return {label: values for label, values in fds.items() if not label.startswith("postgres")}
