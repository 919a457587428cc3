"""Q&A quality on the DataFountain COVID-19 policy FAQ: questions we wrote, each labelled with its pair ids."""

from __future__ import annotations

import csv
import sys
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
