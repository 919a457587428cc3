"""The service graph on the corpus's 2,262 Guangdong guides: the blind set of docs/qa-quality.md, both halves."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.qa.graph.graph import ServiceGraph
from tests.unit.core.qa.graph_corpus import corpus_graph, records

pytestmark = pytest.mark.corpus
BLIND = Path(__file__).parent / "data" / "graph_blind.tsv"
# measured when the matcher was finished (docs/qa-quality.md); a fall below these is a regression
FLOOR = {"tune": 17, "test": 15}


def rows() -> list[list[str]]:
    lines = BLIND.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def graph(corpus: Path) -> ServiceGraph:
    return corpus_graph(corpus)


def test_the_set_is_forty_questions_in_two_halves_about_real_guides(corpus: Path) -> None:
    name_of = {r["TASK_CODE"]: r["TASK_NAME"] for r in records(corpus)}
    data = rows()
    assert Counter((half, form) for half, form, *_ in data) == {
        (h, f): n for h in ("tune", "test") for f, n in (("materials", 6), ("place", 6), ("basis", 4), ("compare", 4))
    }
    for _half, _form, a, b, _question, names in data:
        assert names == " || ".join(name_of[code] for code in (a, b) if code)


@pytest.mark.parametrize("half", ["tune", "test"])
def test_the_graph_answers_the_blind_questions(graph: ServiceGraph, half: str) -> None:
    hits = 0
    for h, _form, a, b, question, _ in rows():
        if h != half:
            continue
        reply = graph.reply(question)
        want = {f"service:{a}"} | ({f"service:{b}"} if b else set())
        if reply is not None and reply.kind == "answer":
            hits += {n.id for n in reply.graph_nodes if n.kind == "service"} == want
    assert hits >= FLOOR[half], f"{half}: {hits} of 20"
