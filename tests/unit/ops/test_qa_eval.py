"""The own Q&A set's halves (ops/bench/qa_eval.py): stable, both kinds-complete, a pair never in both."""

from __future__ import annotations

from collections import defaultdict

from ops.bench.qa_eval import HALVES, ISSUE_KINDS, EvalItem, half_of, load_eval


def test_the_halves_are_a_stable_hash_of_the_first_pair_id() -> None:
    item = EvalItem("reworded", frozenset({"dd3aa8bf5d4231a4ad72d40c397ea5cc"}), "物业费能降吗")
    same_pair = EvalItem("paraphrase", frozenset({"dd3aa8bf5d4231a4ad72d40c397ea5cc"}), "另一个问法")
    assert half_of(item) == half_of(same_pair) == "tune"
    halves = [half_of(EvalItem("typo", frozenset({x}), "q")) for x in ("a", "b", "c", "d")]
    assert halves == ["tune", "tune", "tune", "test"]


def test_every_kind_is_in_both_halves_and_no_pair_is_split() -> None:
    items = load_eval()
    halves_of_pair: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for pair in item.expected:
            halves_of_pair[pair].add(half_of(item))
    assert all(len(halves) == 1 for halves in halves_of_pair.values())
    for kind in (*ISSUE_KINDS, "reworded"):
        assert {half_of(i) for i in items if i.kind == kind} == set(HALVES), kind
