"""Q&A quality on the DataFountain COVID-19 policy FAQ: questions we wrote, each labelled with its pair ids."""

from __future__ import annotations

import argparse
import csv
import hashlib
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.qa.index import grams
from core.qa.models import Basis, QaPair
from core.textzh import fold

EVAL_FILE = Path(__file__).resolve().parent / "data" / "qa_eval_ncp.tsv"
NCP_DIR = "ncp-policy-qa-datafountain"
# The kinds the issue names; "reworded" (heavier rewording) is an extra, harder kind reported beside them.
ISSUE_KINDS = ("paraphrase", "typo", "colloquial", "pinyin", "greeting")
HALVES = ("tune", "test")


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question: its kind, the pair ids that answer it, and the text."""

    kind: str
    expected: frozenset[str]
    question: str


def load_ncp_pairs(corpus: Path) -> list[QaPair]:
    """The 5,000 training pairs as QaPairs (no basis URL: the source documents are not published with them)."""
    csv.field_size_limit(sys.maxsize)
    path = corpus / NCP_DIR / "NCPPolicies_train_20200301.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    basis = Basis(None, "疫情政务问答助手 (DataFountain)", "policy")
    return [
        QaPair(id=r["id"], question=r["question"].strip(), answer=r["answer"].strip(), basis=basis, source="ncp")
        for r in rows
    ]


def load_eval(path: Path = EVAL_FILE) -> list[EvalItem]:
    """The labelled questions (kind, comma-separated pair ids, question)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, ids, question = line.split("\t")
            items.append(EvalItem(kind, frozenset(ids.split(",")), question))
    return items


def half_of(item: EvalItem) -> str:
    """The half a question belongs to (2026-12-03, issue 18): a stable hash of its first pair id, so the
    questions of one pair (a paraphrase and a rewording of it) are never split between the halves."""
    return HALVES[hashlib.sha256(f"qa-eval:{min(item.expected)}".encode()).digest()[0] % 2]


def accuracy(items: list[EvalItem], top1: Callable[[str], str | None]) -> dict[str, float]:
    """Top-1 accuracy per kind and overall ("all")."""
    hits, totals = Counter[str](), Counter[str]()
    for item in items:
        totals[item.kind] += 1
        if top1(item.question) in item.expected:
            hits[item.kind] += 1
    out = {kind: hits[kind] / totals[kind] for kind in sorted(totals)}
    out["all"] = sum(hits.values()) / max(1, sum(totals.values()))
    return out


class BigramBaseline:
    """Plain character-bigram matching on the stored questions (Dice overlap), the peer we must beat."""

    def __init__(self, pairs: list[QaPair]) -> None:
        self._sets = [(p.id, frozenset(grams(fold(p.question))[0])) for p in pairs]
        self._postings: dict[str, list[int]] = {}
        for i, (_, bigrams) in enumerate(self._sets):
            for b in bigrams:
                self._postings.setdefault(b, []).append(i)

    def top1(self, question: str) -> str | None:
        query = frozenset(grams(fold(question))[0])
        shared: Counter[int] = Counter()
        for b in query:
            shared.update(self._postings.get(b, ()))
        if not shared:
            return None
        best = max(shared, key=lambda i: (2 * shared[i] / (len(query) + len(self._sets[i][1])), -i))
        return self._sets[best][0]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def main() -> None:
    """Top-1 per kind on one half, latency per ask and the process's peak RSS (run by hand):

    .venv/bin/python -m ops.bench.qa_eval [--half tune|test|all] [--misses]   (misses: the tuning half only)
    """
    parser = argparse.ArgumentParser(description="Q&A top-1 on the own set, by half")
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    parser.add_argument("--half", choices=(*HALVES, "all"), default="tune")
    parser.add_argument("--misses", action="store_true", help="list the tuning half's misses")
    args = parser.parse_args()
    if args.misses and args.half != "tune":
        parser.error("--misses lists the tuning half's misses only: the test half's are never looked at")
    from core.qa.answerer import KnowledgeBase

    pairs = load_ncp_pairs(args.corpus)
    items = [i for i in load_eval() if args.half in ("all", half_of(i))]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    kb = KnowledgeBase()
    kb.load(pairs)
    built = time.perf_counter() - started
    kb.reply("预热")  # jieba and the pinyin tables load on first use
    times: list[float] = []
    cpu: list[float] = []
    answers: dict[str, str | None] = {}
    for item in items:
        t, c = time.perf_counter(), time.thread_time()
        answers[item.question] = kb.reply(item.question).best_id
        times.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
    ours = accuracy(items, answers.__getitem__)
    plain = accuracy(items, BigramBaseline(pairs).top1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (p50, p99), (c50, c99) = _percentiles(times), _percentiles(cpu)
    print(f"half {args.half}: {len(items)} questions, load {built:.1f} s, ask wall p50 {p50:.1f} ms p99 {p99:.1f} ms")
    print(f"ask CPU time p50 {c50:.1f} ms p99 {c99:.1f} ms (the wall clock also measures the machine's load)")
    print(f"peak RSS {rss / 1024:.0f} MB (before loading the pairs {rss_before / 1024:.0f} MB)")
    for kind in ours:
        n = len(items) if kind == "all" else sum(i.kind == kind for i in items)
        print(f"  {kind:11s} n={n:3d}  ask {ours[kind]:.3f}  bigram {plain[kind]:.3f}")
    if args.misses:
        for item in items:
            if answers[item.question] not in item.expected:
                got = kb.get(answers[item.question] or "")
                print(f"MISS {item.kind}\t{item.question}\t-> {got.question if got else None}")


if __name__ == "__main__":
    main()
