"""The soak's change feed on paper: its mix of actions and its count check (no mesh is run)."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from random import Random

from ops.bench.load.changes import Held, Ledger, actions, judge_counts


def ledger() -> Ledger:
    return Ledger(
        published={"http://a/ywdt/1.html": "demo-portal", "http://b/tzgg/2.html": "demo-dept"},
        edited={"http://a/zcwj/3.html": 2, "http://a/ywdt/1.html": 1},
        withdrawn={"http://c/ywdt/4.html": "demo-county"},
    )


def held(**changes: int) -> Held:
    figures = dict(
        stored=2, searchable=2, edited=2, gone=1, unsearchable=1, subscribers_complete=50, subscribers_open=50
    )
    return Held(**(figures | changes))


def test_every_twenty_actions_publish_ten_edit_seven_and_withdraw_three_in_a_seeded_order() -> None:
    first = list(islice(actions(Random(1)), 60))
    for n in range(3):
        assert Counter(first[n * 20 : (n + 1) * 20]) == {"publish": 10, "change": 7, "withdraw": 3}
    assert first == list(islice(actions(Random(1)), 60)) != list(islice(actions(Random(2)), 60))


def test_counts_that_agree_pass_and_name_every_figure() -> None:
    ok, lines = judge_counts(ledger(), held())
    assert ok, lines
    assert lines[0] == "published 2 = stored 2 = found in search 2 ok"
    assert lines[3] == "subscribers told of all 4 changed URLs: 50/50 open ok"


def test_any_page_missing_from_the_store_the_index_or_a_subscriber_fails_the_check() -> None:
    for short in ("stored", "searchable", "edited", "gone", "unsearchable", "subscribers_complete"):
        figures = held()
        ok, lines = judge_counts(ledger(), held(**{short: getattr(figures, short) - 1}))
        assert not ok and sum("MISMATCH" in line for line in lines) == 1, short
    assert not judge_counts(ledger(), held(subscribers_complete=0, subscribers_open=0))[0], "nobody listened"


def test_a_failed_change_fails_the_check() -> None:
    failed = ledger()
    failed.failures.append("ClientConnectorError: refused")
    ok, lines = judge_counts(failed, held())
    assert not ok and lines[-1].startswith("change feed failures: 1")
