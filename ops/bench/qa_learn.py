"""Train the answer-side weights of core.qa.learned on the stored pairs themselves (issue 20), and print them.

    .venv/bin/python -m ops.bench.qa_learn [--corpus ../shared/corpus] [--sample 3000] [--steps 300]

Each sampled stored question (seed 7) is asked against the answers alone (`QaIndex.training_vectors`): among
the 60 answers its words select, its own answer, or an identical one, is the right one. A linear model over
the features of `core.qa.learned.FEATURES` is fitted by softmax regression over those 60 (plain gradient
descent, L2 0.001; no third-party library). No evaluation question (own or blind) is read. Paste the printed
weights into `core.qa.learned.WEIGHTS` and measure (docs/qa-quality.md).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

from core.qa.index import QaIndex
from ops.bench.qa_blind import accepted_ids
from ops.bench.qa_eval import load_ncp_pairs

Example = tuple[Sequence[Sequence[float]], Sequence[bool]]


def gradient(examples: Sequence[Example], weights: Sequence[float]) -> tuple[list[float], float]:
    """The listwise softmax loss of the right candidates of each example, summed, and its gradient."""
    width = len(weights)
    grad, loss = [0.0] * width, 0.0
    for vectors, right in examples:
        scores = [sum(w * x for w, x in zip(weights, v, strict=True)) for v in vectors]
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        probs = [e / total for e in exp]
        p_right = sum(p for p, r in zip(probs, right, strict=True) if r)
        loss -= math.log(max(p_right, 1e-12))
        for v, p, r in zip(vectors, probs, right, strict=True):
            coef = p - (p / p_right if r else 0.0)
            for d in range(width):
                grad[d] += coef * v[d]
    return grad, loss


def fit(examples: Sequence[Example], steps: int, rate: float = 0.5, l2: float = 1e-3) -> list[float]:
    """Weights minimising the mean softmax loss of the right answers among each example's candidates."""
    weights = [0.0] * len(examples[0][0][0])
    n = len(examples)
    for step in range(steps):
        grad, loss = gradient(examples, weights)
        weights = [w - rate * (g / n + l2 * w) for w, g in zip(weights, grad, strict=True)]
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss / n:.4f}")
    return weights


def top1(examples: Sequence[Example], weights: Sequence[float]) -> float:
    hits = 0
    for vectors, right in examples:
        scores = [sum(w * x for w, x in zip(weights, v, strict=True)) for v in vectors]
        hits += right[max(range(len(scores)), key=scores.__getitem__)]
    return hits / max(1, len(examples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    pairs = load_ncp_pairs(args.corpus)
    started = time.perf_counter()
    index = QaIndex()
    for pair in pairs:
        index.add(pair.id, pair.question, pair.answer)
    index.learn()
    ok = accepted_ids(pairs)
    sample = random.Random(7).sample(pairs, min(args.sample, len(pairs)))
    examples: list[Example] = []
    for pair in sample:
        rows = index.training_vectors(pair.question, ok(pair.id))
        if rows:
            examples.append(([v for _, v in rows], [r for r, _ in rows]))
    took = time.perf_counter() - started
    print(f"{len(examples)} of {len(sample)} questions have their answer among the 60 ({took:.0f} s)")
    weights = fit(examples, args.steps)
    print(f"top-1 among the 60 on the training questions: {top1(examples, weights):.3f}")
    print("WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")


if __name__ == "__main__":
    main()
