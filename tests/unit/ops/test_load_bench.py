"""The load benches' judging: locust's CSV row, percentiles, the knee, the soak's verdict (no load is run)."""

from __future__ import annotations

import math

import pytest

from ops.bench.load.stats import Step, judge_soak, knee, parse_locust_stats, percentile

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
