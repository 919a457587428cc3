"""The blind Q&A evaluation set (ops/bench/qa_blind.py, docs/qa-quality.md): it loads, its split is stable,
and every question names a pair that exists in the corpus. The evaluation itself is run by hand."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.qa.models import QaPair
from ops.bench.qa_blind import HALVES, KINDS, QUESTIONS, SETS, AnswerBigram, accepted_ids, half_of, load_blind, score
from ops.bench.qa_eval import load_ncp_pairs


@pytest.mark.parametrize("blind_set", sorted(SETS))
def test_each_set_has_at_least_300_questions_and_50_of_every_kind_over_distinct_pairs(blind_set: int) -> None:
    items = load_blind("all", blind_set)
    assert len(items) >= 300
    counts = Counter(item.kind for item in items)
    assert set(counts) == set(KINDS), counts
    assert all(counts[kind] >= 50 for kind in KINDS), counts
    assert len({item.pair_id for item in items}) == len(items), "one question per pair"
    assert all(item.question.strip() and item.writer for item in items)


@pytest.mark.parametrize("blind_set", sorted(SETS))
def test_the_halves_are_the_stable_hash_split_of_the_whole_set(blind_set: int) -> None:
    halves = {half: load_blind(half, blind_set) for half in HALVES}
    assert sorted(halves["tune"] + halves["test"], key=repr) == sorted(load_blind("all", blind_set), key=repr)
    for half, items in halves.items():
        assert items and all(half_of(item.pair_id) == half for item in items), f"{half}.tsv is stale: run --split"
    assert not {i.pair_id for i in halves["tune"]} & {i.pair_id for i in halves["test"]}
    # The hash must never change: a changed split would mix questions someone tuned on into the test half.
    assert [half_of(x) for x in ("a", "b", "c", "d")] == ["test", "tune", "tune", "test"]
    assert half_of("b6bd69375d2837ee823ccc7d26a820d0") == "test"


@pytest.mark.parametrize(("earlier", "later"), [(a, b) for a in sorted(SETS) for b in sorted(SETS) if a < b])
def test_each_later_set_was_written_over_other_pairs_by_another_writer(earlier: int, later: int) -> None:
    first, second = load_blind("all", earlier), load_blind("all", later)
    assert not {i.pair_id for i in first} & {i.pair_id for i in second}, "a pair in both sets"
    assert {i.writer for i in first}.isdisjoint({i.writer for i in second})


def test_the_newest_set_shares_no_pair_with_the_own_set() -> None:
    from ops.bench.qa_eval import load_eval

    own = {pair_id for item in load_eval() for pair_id in item.expected}
    assert not own & {i.pair_id for i in load_blind("all", max(SETS))}


@pytest.mark.corpus
@pytest.mark.parametrize("blind_set", sorted(SETS))
def test_every_reference_is_a_corpus_pair_and_no_question_is_a_stored_one(corpus: Path, blind_set: int) -> None:
    pairs = load_ncp_pairs(corpus)
    ids = {p.id for p in pairs}
    stored = {p.question for p in pairs}
    items = load_blind("all", blind_set)
    assert all(item.pair_id in ids for item in items), [i.pair_id for i in items if i.pair_id not in ids][:5]
    assert not [item.question for item in items if item.question in stored]


def test_a_hit_is_the_reference_or_a_pair_with_the_identical_answer() -> None:
    pairs = [
        QaPair(id="a", question="社保卡怎么办", answer="带身份证到网点"),
        QaPair(id="b", question="q", answer="带身份证到网点"),
    ]
    pairs.append(QaPair(id="c", question="医保怎么报销", answer="到医保窗口报销"))
    ok = accepted_ids(pairs)
    assert ok("a") == {"a", "b"} and ok("c") == {"c"}
    items = load_blind("all")[:3]
    refs = ["a", "c", "c"]
    items = [type(i)(i.kind, ref, i.question, i.writer) for i, ref in zip(items, refs, strict=True)]
    assert score(items, ["b", None, "a"], ok)["all"] == pytest.approx(1 / 3)
    assert AnswerBigram(pairs).top1("医保窗口报销") == "c", "the answer text counts, not only the question"
    assert QUESTIONS.is_file()


@pytest.mark.corpus
def test_a_new_sets_answers_are_drawn_from_pairs_no_set_has_used(corpus: Path) -> None:
    from ops.bench.qa_blind_draw import draw, used_pairs

    lines = draw(corpus, seed=61)
    assert lines and draw(corpus, seed=61) == lines
    kinds = Counter(kind for _, kind, _ in lines)
    assert kinds["place_aspect"] <= 85 and sum(kinds.values()) <= 460  # fewer once the corpus' pool runs low
    assert not {pair_id for pair_id, _, _ in lines} & used_pairs()
    assert all(30 <= len(answer) <= 160 and "\t" not in answer for _, _, answer in lines)
