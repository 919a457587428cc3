"""Train the learned final re-ranking of core.qa.rerank on the blind *tuning* questions; print its
leave-one-set-out table and the weights.

    .venv/bin/python -m ops.bench.qa_rerank [--corpus ../shared/corpus] [--top 5] [--l2 0.001] [--steps 300]
                                            [--through 3]

Sets of tuning questions, each with its right pairs: set 1 all (retired as a test), the tuning halves of blind
sets 2..`--through` (3 for the shipped weights), and the own set's tuning half (`qa_eval.half_of`). No test half
is read, and never the newest set. Each question is
replied to by the knowledge base with the re-ranking off (5,000 pairs, `KnowledgeBase.reply`: the bench's
top-1 without Postgres); when the reply's pair is the first of the ranking, the best `--top` candidates and
their features (`KnowledgeBase.candidates`) are kept, and the model may reorder them; otherwise the reply does
not come from the ranking, or the first candidate won by the restated reading (`rerank.reorderable`), and
its outcome is kept as it is. A linear model over `core.qa.rerank.FEATURES` is
fitted by listwise softmax regression (the right pairs' share among the candidates; features standardised,
L2 on the standardised weights, plain gradient descent with momentum; no third-party library). The table
trains on all sets but one and scores that one, then the weights are fitted on all of them: paste them into
`core.qa.rerank.WEIGHTS` and measure with `qa_blind` and `qa_eval` (docs/qa-quality.md).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.qa import rerank
from core.qa.answerer import KnowledgeBase
from core.qa.query import understand
from ops.bench.qa_blind import accepted_ids, load_blind
from ops.bench.qa_eval import half_of, load_eval, load_ncp_pairs
from ops.bench.qa_learn import gradient

SHIPPED_THROUGH = 3  # the shipped weights were fitted on blind sets 1-3 (set 1 all, the others' tuning halves)


def trained_sets(through: int) -> list[tuple[str, str, int]]:
    """(name, half, set) of the blind sets trained on: set 1 all (retired), the tuning halves of sets 2..through."""
    return [(f"set {n} {'all' if n == 1 else 'tune'}", "all" if n == 1 else "tune", n) for n in range(1, through + 1)]


@dataclass(frozen=True)
class Example:
    """One tuning question: its set, the candidates' feature vectors and which are right (empty when the
    reply does not come from the ranking), and whether the reply as it is was right."""

    group: str
    vectors: tuple[tuple[float, ...], ...]
    right: tuple[bool, ...]
    hit: bool


def questions(through: int = SHIPPED_THROUGH) -> list[tuple[str, str, frozenset[str] | str]]:
    """(set, question, right pair ids or the blind reference id) of every tuning question: blind sets 1..through
    and the own set's tuning half."""
    out: list[tuple[str, str, frozenset[str] | str]] = []
    for name, half, number in trained_sets(through):
        out += [(name, item.question, item.pair_id) for item in load_blind(half, number)]
    out += [("own tune", item.question, item.expected) for item in load_eval() if half_of(item) == "tune"]
    return out


def examples(kb: KnowledgeBase, items: Sequence[tuple[str, str, frozenset[str] | str]], top: int) -> list[Example]:
    """The examples of the questions, the re-ranking off."""
    ok = accepted_ids(kb.pairs())
    kb.index.rerank_weights = None
    out = []
    for group, question, truth in items:
        right_ids = ok(truth) if isinstance(truth, str) else truth
        best = kb.reply(question).best_id
        hit = best is not None and best in right_ids
        ranked = kb.candidates(understand(question).text, max(6, top))[:top]
        candidates = [c for _, c in ranked]
        if best is None or not ranked or ranked[0][0] != best or not rerank.reorderable(candidates):
            out.append(Example(group, (), (), hit))
            continue
        vectors = tuple(rerank.vectors(candidates))
        out.append(Example(group, vectors, tuple(key in right_ids for key, _ in ranked), hit))
    return out


def _standardise(train: Sequence[Example]) -> tuple[list[float], list[float]]:
    rows = [v for e in train for v in e.vectors]
    width = len(rows[0])
    mean = [sum(r[d] for r in rows) / len(rows) for d in range(width)]
    std = [math.sqrt(sum((r[d] - mean[d]) ** 2 for r in rows) / len(rows)) for d in range(width)]
    return mean, [s if s > 1e-9 else 0.0 for s in std]


def fit(train: Sequence[Example], l2: float, steps: int, rate: float = 0.3) -> list[float]:
    """Weights (on the raw features) minimising the mean listwise softmax loss of the right candidates, plus
    L2 on the standardised weights."""
    lists = [e for e in train if len(e.vectors) > 1 and any(e.right)]
    mean, std = _standardise(lists)
    width = len(mean)
    data = [
        ([[(x - mean[d]) / std[d] if std[d] else 0.0 for d, x in enumerate(v)] for v in e.vectors], e.right)
        for e in lists
    ]
    weights, velocity = [0.0] * width, [0.0] * width
    n = len(data)
    for _ in range(steps):
        grad, _loss = gradient(data, weights)
        for d in range(width):
            velocity[d] = 0.9 * velocity[d] - rate * (grad[d] / n + l2 * weights[d])
            weights[d] += velocity[d]
    return [w / s if s else 0.0 for w, s in zip(weights, std, strict=True)]


def hits(test: Sequence[Example], weights: Sequence[float] | None) -> int:
    """Right top-1 replies among the examples with the candidates reordered by `weights` (None: as they are)."""
    total = 0
    for e in test:
        if not e.vectors or weights is None:
            total += e.hit
            continue
        scores = [sum(w * x for w, x in zip(weights, v, strict=True)) for v in e.vectors]
        total += e.right[max(range(len(scores)), key=lambda i: (scores[i], -i))]
    return total


def table(data: Sequence[Example], l2: float, steps: int) -> list[str]:
    """The leave-one-set-out rows: trained on the other sets, scored on this one."""
    rows = []
    for held in dict.fromkeys(e.group for e in data):
        train = [e for e in data if e.group != held]
        test = [e for e in data if e.group == held]
        weights = fit(train, l2, steps)
        before, after = hits(test, None), hits(test, weights)
        reorderable = sum(bool(e.vectors) for e in test)
        rows.append(
            f"  {held:11s} n={len(test):3d} (from the ranking {reorderable:3d})  "
            f"before {before:3d} ({before / len(test):.3f})  after {after:3d} ({after / len(test):.3f})  "
            f"{after - before:+d}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    parser.add_argument("--top", type=int, default=rerank.TOP, help="candidates reordered")
    parser.add_argument("--l2", type=float, nargs="+", default=[0.001], help="L2 weights to tabulate")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--through", type=int, default=SHIPPED_THROUGH, help="train on blind sets 1..N (never the newest: the test)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    kb = KnowledgeBase()
    kb.load(load_ncp_pairs(args.corpus))
    data = examples(kb, questions(args.through), args.top)
    print(f"{len(data)} tuning questions, features read in {time.perf_counter() - started:.0f} s; top {args.top}")
    for l2 in args.l2:
        print(f"leave one set out, L2 {l2}:")
        print("\n".join(table(data, l2, args.steps)))
    weights = fit(data, args.l2[-1], args.steps)
    print(f"all the sets (L2 {args.l2[-1]}): before {hits(data, None)}  after {hits(data, weights)} of {len(data)}")
    for name, w in zip(rerank.FEATURES, weights, strict=True):
        print(f"  {name:20s} {w:+.4f}")
    print("WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")


if __name__ == "__main__":
    main()
