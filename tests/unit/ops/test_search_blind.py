"""The blind search set (issue #20): it loads, its split is stable, and every reference is a corpus document."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.textzh.docno import parse_doc_no
from ops.bench.search_blind import KINDS, BigramBM25, bigrams, draw, draw_2, half_of, load_blind


def test_the_set_loads_with_enough_queries_per_kind() -> None:
    items = load_blind()
    per_kind = Counter(q.kind for q in items)
    assert set(per_kind) == set(KINDS)
    assert all(n >= 60 for n in per_kind.values()), per_kind
    assert all(q.query.strip() and q.document for q in items)
    assert len({(q.kind, q.document) for q in items}) == len(items)


def test_the_split_is_stable_and_keeps_a_document_in_one_half() -> None:
    items = load_blind()
    tune, test = load_blind("tune"), load_blind("test")
    assert len(tune) + len(test) == len(items)
    assert {q.document for q in tune}.isdisjoint({q.document for q in test})
    # a stable hash: these were the halves when the set was written
    assert [half_of(d) for d in ("govcn:56", "gz:35c", "govcn:1", "gz:26")] == ["tune", "tune", "test", "test"]
    for kind in KINDS:
        n = sum(q.kind == kind for q in tune)
        assert 0.35 <= n / sum(q.kind == kind for q in items) <= 0.65


def test_every_loose_doc_no_query_names_a_doc_no() -> None:
    for q in load_blind():
        if q.kind == "docno_loose":
            assert parse_doc_no(q.query) is not None, q.query


def test_the_bigram_peer_ranks_by_shared_bigrams() -> None:
    from core.search import IndexDoc

    docs = [
        IndexDoc(id="a", url="u", title="失业保险金申领", text=""),
        IndexDoc(id="b", url="v", title="社保卡", text=""),
    ]
    assert bigrams("Ａ失业") == ["a失", "失业"]
    assert BigramBM25(docs).top("失业金怎么领") == ["a"]


@pytest.mark.corpus
def test_every_reference_exists_and_the_pick_is_the_seeded_draw(corpus: Path) -> None:
    from tests.unit.core.search.search_corpus import corpus_docs

    ids = {d.id for d in corpus_docs(corpus)}
    items = load_blind()
    assert {q.document for q in items} <= ids
    colloquial, docno = draw(corpus)
    assert [q.document for q in items if q.kind == "colloquial"] == colloquial
    assert [q.document for q in items if q.kind == "docno_loose"] == docno


def test_set_2_loads_and_shares_no_document_with_set_1() -> None:
    items = load_blind(blind_set=2)
    per_kind = Counter(q.kind for q in items)
    assert per_kind == {"colloquial": 70, "docno_loose": 24}
    assert all(q.query.strip() and "\t" not in q.query for q in items)
    assert {q.document for q in items}.isdisjoint({q.document for q in load_blind()})
    tune, test = load_blind("tune", blind_set=2), load_blind("test", blind_set=2)
    assert len(tune) + len(test) == len(items) and {q.document for q in tune}.isdisjoint({q.document for q in test})


@pytest.mark.corpus
def test_set_2_references_exist_and_are_its_seeded_draw(corpus: Path) -> None:
    from tests.unit.core.search.search_corpus import corpus_docs

    ids = {d.id for d in corpus_docs(corpus)}
    items = load_blind(blind_set=2)
    colloquial, docno = draw_2(corpus)
    assert set(colloquial) | set(docno) <= ids
    assert {q.document for q in items if q.kind == "colloquial"} == set(colloquial) - {"gz:20b"}  # skipped: empty
    assert [q.document for q in items if q.kind == "docno_loose"] == [d for d in docno for _ in range(3)]
    assert not (set(colloquial) | set(docno)) & set(draw(corpus)[0] + draw(corpus)[1])
