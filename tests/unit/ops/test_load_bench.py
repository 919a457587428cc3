"""The load benches' judging: locust's CSV row, percentiles, the knee, the soak's verdict (no load is run)."""

from __future__ import annotations

import math

import pytest

from ops.bench.load.stats import (
    Step,
    gc_pauses,
    judge_soak,
    knee,
    parse_locust_stats,
    percentile,
    server_quantiles,
)

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def step(target: float, p99: float, failures: int = 0) -> Step:
    return Step(target=target, requests=100, failures=failures, rps=target, p50=p99 / 3, p95=p99 / 2, p99=p99)


def test_the_aggregated_row_of_locusts_csv_is_the_step() -> None:
    text = "\n".join(
        [
            HEADER,
            "POST,search,90,1,40,45.2,10,300,1000,3.0,0.03,40,50,60,70,80,95,120,130,300,300,300",
            ",Aggregated,120,2,38,44.0,9,310,900,4.0,0.07,38,48,58,68,78,90,110,140,310,310,310",
        ]
    )
    parsed = parse_locust_stats(text, target=4.0)
    assert (parsed.requests, parsed.failures, parsed.rps) == (120, 2, 4.0)
    assert (parsed.p50, parsed.p95, parsed.p99) == (38.0, 90.0, 140.0)
    assert parsed.error_rate == pytest.approx(2 / 120)


def test_a_csv_without_requests_is_refused_and_missing_percentiles_are_nan() -> None:
    with pytest.raises(ValueError, match="no Aggregated row"):
        parse_locust_stats(HEADER + "\n", target=1)
    empty = parse_locust_stats(
        HEADER + "\n,Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A", 1
    )
    assert math.isnan(empty.p99) and empty.error_rate == 0


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([7.0], 99) == 7.0 and math.isnan(percentile([], 50))


def test_the_knee_is_the_last_step_within_100_ms_and_an_error_ends_it() -> None:
    steps = [step(2, 40), step(4, 70), step(8, 180), step(16, 900)]
    assert knee(steps) == (steps[1], steps[2])
    assert knee([step(2, 40), step(4, 60, failures=1)]) == (steps[0], step(4, 60, failures=1))
    assert knee([step(2, 150)]) == (None, step(2, 150))
    assert knee(steps[:2]) == (steps[1], None)


def test_the_soak_allows_rss_growth_under_10_percent_after_warm_up() -> None:
    grown = judge_soak({"web.1": [100, 300, 310, 320, 335], "worker.1": [200, 210, 240, 250]}, warmup=1, kind="rss")
    assert not grown.ok  # web.1: 300 → 335 MB is +11.7%; worker.1: 210 → 250 is +19%
    assert grown.lines[0] == "web.1: RSS 300 → 335 MB (+11.7%) GROWS"
    assert judge_soak({"web.1": [100, 300, 310, 320]}, warmup=1, kind="rss").ok


def test_a_sawtooth_with_the_crawls_is_judged_peak_with_peak_over_whole_periods() -> None:
    # NATS in the soak of 2026-12-04: up after each crawl (every 5 minutes), down between, peaks level
    nats = [15, 15, 18, 18, 13, 24, 27, 27, 19, 19, 25, 26, 27, 18, 18]
    assert not judge_soak({"nats": nats}, warmup=0, kind="rss").ok, "first sample against last: a trough and a peak"
    assert judge_soak({"nats": nats[5:]}, warmup=0, kind="rss", period=5).ok
    leaking = [350, 350, 354, 354, 355, 365, 365, 365, 365, 365, 375, 375, 375, 375, 396]
    assert not judge_soak({"web.1": leaking}, warmup=0, kind="rss", period=5).ok, "a rising peak still fails"


def test_fds_and_connections_must_stay_flat_within_the_slack() -> None:
    assert judge_soak({"web.1": [30, 40, 42, 41]}, warmup=1, kind="fds", slack=2).ok
    leaking = judge_soak({"web.1": [30, 40, 45, 50]}, warmup=1, kind="conns", slack=2)
    assert not leaking.ok and leaking.lines == ["web.1: conns 40 → 50 (max 50) GROWS"]
    assert not judge_soak({"web.1": [30]}, warmup=1, kind="fds").ok  # too few samples to judge


def test_a_backlog_is_what_the_consumers_have_not_delivered_or_acked() -> None:
    from ops.bench.load.__main__ import backlog

    page = "\n".join(
        [
            "# HELP yw_consumer_pending Events not yet delivered to a consumer",
            'yw_consumer_pending{consumer="indexer"} 120.0',
            'yw_consumer_pending{consumer="search-projector"} 0.0',
            'yw_consumer_ack_pending{consumer="indexer"} 3.0',
            "yw_documents 491.0",
        ]
    )
    assert backlog(page) == 123.0
    assert backlog(page.replace("120.0", "0.0").replace("3.0", "0.0")) == 0.0
    assert math.isnan(backlog("yw_documents 491.0"))  # a page naming no consumer says nothing


def metrics(counts: dict[str, int]) -> str:
    """A /metrics page with the /graphql latency histogram at these cumulative counts (and other series)."""
    lines = ['yw_http_request_seconds_bucket{le="0.01",method="GET",route="/healthz",status="200"} 7.0']
    lines += [
        f'yw_http_request_seconds_bucket{{le="{le}",method="POST",route="/graphql",status="200"}} {n}.0'
        for le, n in counts.items()
    ]
    return "\n".join(lines)


def test_the_servers_own_percentiles_come_from_the_histogram_between_two_pages() -> None:
    before = metrics({"0.01": 5, "0.05": 9, "0.25": 10, "+Inf": 10})
    after = metrics({"0.01": 55, "0.05": 107, "0.25": 109, "+Inf": 110})  # 50 within 10 ms, 48 within 50, 2 over
    assert server_quantiles(before, after) == [10.0, 250.0]
    assert server_quantiles("", after, qs=(100,)) == [math.inf]
    assert all(math.isnan(q) for q in server_quantiles(after, after))


def test_the_webs_collections_in_a_step_are_the_difference_of_two_pages() -> None:
    def page(full: int, full_s: float, young: int) -> str:
        return (
            "# TYPE yw_gc_pause_seconds histogram\n"
            f'yw_gc_pause_seconds_count{{generation="0"}} {young}.0\n'
            f'yw_gc_pause_seconds_sum{{generation="0"}} {young * 0.0001}\n'
            f'yw_gc_pause_seconds_count{{generation="2"}} {full}.0\n'
            f'yw_gc_pause_seconds_sum{{generation="2"}} {full_s}\n'
        )

    pauses = gc_pauses(page(3, 1.1, 450), page(5, 1.5, 650))
    assert pauses[2][0] == 2 and math.isclose(pauses[2][1], 0.4)
    assert pauses[0][0] == 200
    assert gc_pauses("", "") == {}, "a web without the metric: no gc line"


class _Argv:
    """Just a command line (what `_is_up` reads of a process)."""

    def __init__(self, *argv: str) -> None:
        self.argv = list(argv)

    def cmdline(self) -> list[str]:
        return self.argv


@pytest.mark.parametrize(
    ("argv", "up"),
    [
        (("/srv/.venv/bin/python", "/srv/.venv/bin/yiwang", "up", "--scale", "web=2"), True),
        (("/usr/bin/python3", "-m", "ops", "up"), True),
        (("/srv/.venv/bin/python", "/srv/.venv/bin/honcho", "start"), False),  # web under honcho: not our supervisor
        (("/bin/bash",), False),
        (("/srv/.venv/bin/python", "/srv/.venv/bin/yiwang", "web"), False),
    ],
)
def test_only_yiwang_up_is_taken_for_the_supervisor(argv: tuple[str, ...], up: bool) -> None:
    import psutil

    from ops.bench.load.mesh import _is_up

    assert _is_up(_Argv(*argv)) is up  # type: ignore[arg-type]
    assert not _is_up(psutil.Process())  # this test run is no supervisor


def test_postgres_open_files_are_its_backends_caches_and_not_judged() -> None:
    from ops.bench.load.stats import own_fds

    fds = {"web.1": [68.0, 68.0], "postgres": [1084.0, 727.0, 806.0], "nats": [16.0, 15.0]}
    assert own_fds(fds) == {"web.1": [68.0, 68.0], "nats": [16.0, 15.0]}
