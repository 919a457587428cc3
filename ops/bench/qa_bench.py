"""Q&A benchmark (run by hand): `ask` latency with 10,000 pairs, and top-1 beside plain bigram matching.

    .venv/bin/python -m ops.bench.qa_bench [--corpus ../shared/corpus] [--pairs 10000] [--rounds 3]

The base is the 5,000 DataFountain pairs plus the 1,643 questions of its test file and copies of the
training pairs with the province swapped, until --pairs; the questions asked are docs/qa-quality.md's.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

from core.qa.answerer import KnowledgeBase
from core.qa.models import QaPair
from ops.bench.qa_eval import NCP_DIR, BigramBaseline, accuracy, load_eval, load_ncp_pairs

_SWAPS = (("北京", "天津"), ("上海", "江苏"), ("浙江", "安徽"), ("重庆", "四川"), ("广东", "广西"), ("湖北", "湖南"))


def build_pairs(corpus: Path, total: int) -> list[QaPair]:
    pairs = load_ncp_pairs(corpus)
    csv.field_size_limit(sys.maxsize)
    with (corpus / NCP_DIR / "NCPPolicies_test.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            pairs.append(QaPair(id=f"test-{row['id']}", question=row["question"].strip(), answer="（基准占位答案）"))
    originals = list(pairs[:5000])
    i = 0
    while len(pairs) < total:
        p = originals[i % len(originals)]
        a, b = _SWAPS[i % len(_SWAPS)]
        question = p.question.replace(a, b) if a in p.question else f"{b}{p.question}"
        pairs.append(QaPair(id=f"copy-{i}-{p.id}", question=question, answer=p.answer.replace(a, b)))
        i += 1
    return pairs[:total]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pairs = build_pairs(args.corpus, args.pairs)
    items = load_eval()
    started = time.perf_counter()
    kb = KnowledgeBase()
    kb.load(pairs)
    built = time.perf_counter() - started
    baseline = BigramBaseline(pairs)
    kb.reply("预热")  # jieba and the pinyin tables load on first use
    ours_t: list[float] = []
    plain_t: list[float] = []
    for _ in range(args.rounds):
        for item in items:
            t = time.perf_counter()
            kb.reply(item.question)
            ours_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            baseline.top1(item.question)
            plain_t.append(time.perf_counter() - t)
    ours_acc = accuracy(items, lambda q: kb.reply(q).best_id)
    plain_acc = accuracy(items, baseline.top1)
    print(f"pairs {len(kb)}, index built in {built:.1f} s, {len(items)} questions x {args.rounds} rounds")
    for name, times, acc in (("ask (yiwang)", ours_t, ours_acc), ("plain bigram", plain_t, plain_acc)):
        p50, p99 = _percentiles(times)
        kinds = " ".join(f"{k}={v:.3f}" for k, v in acc.items())
        print(f"{name:13s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  top-1 {kinds}")


if __name__ == "__main__":
    main()
