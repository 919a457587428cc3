"""Search recall@5 on blind queries (issue #20): written from the document side only, before reading search code.

    .venv/bin/python -m ops.bench.search_blind [--set 1|2] [--half tune|test|all] [--corpus ../shared/corpus] [--misses]
    .venv/bin/python -m ops.bench.search_blind [--set 1|2] --draw     # the documents the fixed-seed pick gives a writer

The corpus is indexed exactly as the search quality tests index it (tests/unit/core/search/search_corpus.py,
one tantivy index, SearchService without scenes); each query is scored beside a plain character-bigram BM25
matcher over the same documents (title + text). A hit: the reference document, or a document with the identical
title (the guides repeat names such as 律师执业变更审核), among the first 5. Tune on the tuning half only; score
the test half when a change is finished (docs/search-quality.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import math
import random
import re
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.search import IndexDoc
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine

BLIND_DIR = Path(__file__).resolve().parent / "data" / "search_blind"
QUERIES = BLIND_DIR / "queries.tsv"
SETS = {1: QUERIES, 2: BLIND_DIR.with_name("search_blind2") / "queries.tsv"}
KINDS = ("colloquial", "docno_loose")
HALVES = ("tune", "test")
SEED = 20
SEED_2 = 21
GUIDES_2 = 50  # set 2: the pages set 1 left (22) and 50 service guides for colloquial, none of set 1's
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
_FILE_DOC_NO = re.compile(r"_([^_]*?\d{4}-\d+号)")


@dataclass(frozen=True)
class BlindQuery:
    """One blind query: its kind, the document it was written from (a search_corpus id) and the text."""

    kind: str
    document: str
    query: str


def half_of(document: str) -> str:
    """The half a document's queries belong to: a stable hash of its id, so a document is never in both."""
    return HALVES[hashlib.sha256(f"search-blind:{document}".encode()).digest()[0] % 2]


def load_blind(half: str = "all", path: Path = QUERIES, blind_set: int | None = None) -> list[BlindQuery]:
    path = SETS[blind_set] if blind_set is not None else path
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    items = [BlindQuery(kind, document, query) for kind, document, query in rows]
    return [q for q in items if half in ("all", half_of(q.document))]


def draw(corpus: Path) -> tuple[list[str], list[str]]:
    """The fixed-seed pick the writer saw: 22 documents per source for colloquial, 64 carrying a 文号 for docno.

    Only corpus files are read (ids as search_corpus.py gives them). gz:35 and gz:35c carry each other's 文号 in
    their file names; the queries use the number printed on each page.
    """
    govcn = corpus / "govcn-policy-pages-zhouynf" / "records.jsonl"
    records = [line for line in govcn.read_text(encoding="utf-8").splitlines() if line.strip()]
    numbered = {f"govcn:{r['id']}": bool(r.get("release_number")) for r in map(json.loads, records)}
    pages = sorted(p.name for p in (corpus / "guangzhou-gov-pages-aizhengcetong" / "html").iterdir())
    gz = {f"gz:{name.split('_')[0]}": bool(_FILE_DOC_NO.search(Path(name).stem)) for name in pages}
    guides = (corpus / "guangdong-service-guides-clarencekong" / "service_guides.jsonl").read_text(encoding="utf-8")
    guide_ids = sorted(f"guide:{json.loads(line)['TASK_CODE']}" for line in guides.splitlines() if line.strip())
    rng = random.Random(SEED)
    by_name = sorted(numbered, key=lambda i: "govcn/" + i[6:])
    colloquial = rng.sample(by_name, 22) + rng.sample(_gz_order(pages), 22) + rng.sample(guide_ids, 22)
    numbered_all = {**numbered, **gz}
    pool = sorted((i for i, has in numbered_all.items() if has), key=lambda i: _pool_key(i, pages))
    return colloquial, rng.sample(pool, 64)


def draw_2(corpus: Path) -> tuple[list[str], list[str]]:
    """Set 2's pick (a second writer): for colloquial every gov.cn and Guangzhou page set 1 left and 50 service
    guides, for 文号 every numbered document set 1 left; none of set 1's documents (nothing tuned on is scored)."""
    colloquial_1, docno_1 = draw(corpus)
    used = set(colloquial_1) | set(docno_1)
    govcn = corpus / "govcn-policy-pages-zhouynf" / "records.jsonl"
    records = [json.loads(line) for line in govcn.read_text(encoding="utf-8").splitlines() if line.strip()]
    numbered = {f"govcn:{r['id']}": bool(r.get("release_number")) for r in records}
    pages = sorted(p.name for p in (corpus / "guangzhou-gov-pages-aizhengcetong" / "html").iterdir())
    gz = {f"gz:{name.split('_')[0]}": bool(_FILE_DOC_NO.search(Path(name).stem)) for name in pages}
    guides = (corpus / "guangdong-service-guides-clarencekong" / "service_guides.jsonl").read_text(encoding="utf-8")
    guide_ids = sorted(f"guide:{json.loads(line)['TASK_CODE']}" for line in guides.splitlines() if line.strip())
    rng = random.Random(SEED_2)
    govcn_ids = [i for i in sorted(numbered, key=lambda i: "govcn/" + i[6:]) if i not in used]
    indexed = [name for name in pages if name.endswith(".html")]  # the .txt file is no document of the index
    gz_ids = [i for i in _gz_order(indexed) if i not in used]
    guide_left = [i for i in guide_ids if i not in used]
    colloquial = [*govcn_ids, *gz_ids, *rng.sample(guide_left, GUIDES_2)]  # set 1 left few pages, many guides
    numbered_all = {**numbered, **gz}
    gz_indexed = set(_gz_order(indexed))
    left = (
        i for i, has in numbered_all.items() if has and i not in used and (i in gz_indexed or i.startswith("govcn:"))
    )
    docno = sorted(left, key=lambda i: _pool_key(i, pages))
    return colloquial, docno


def _gz_order(pages: Sequence[str]) -> list[str]:
    return [f"gz:{name.split('_')[0]}" for name in pages]


def _pool_key(doc_id: str, pages: Sequence[str]) -> str:
    """Sort key of the writer's pool: govcn/<id> and gz/<file name>, as the pick was drawn."""
    if doc_id.startswith("govcn:"):
        return "govcn/" + doc_id[6:]
    return "gz/" + next(name for name in pages if name.split("_")[0] == doc_id[3:])


def bigrams(text: str) -> list[str]:
    """Character bigrams of the letters, digits and CJK characters of text (NFKC, lower case)."""
    chars = [c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum()]
    return [a + b for a, b in itertools.pairwise(chars)] or chars


class BigramBM25:
    """The peer: BM25 over character bigrams of title + text, nothing else (no dictionary, no rewriting)."""

    def __init__(self, docs: Sequence[IndexDoc], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = [d.id for d in docs]
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        for n, doc in enumerate(docs):
            grams = Counter(bigrams(f"{doc.title}\n{doc.text}"))
            self.lengths.append(sum(grams.values()))
            for gram, tf in grams.items():
                self.postings[gram].append((n, tf))
        self.avg = sum(self.lengths) / max(1, len(self.lengths))
        self.k1, self.b = k1, b

    def top(self, query: str, k: int = 5) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        total = len(self.ids)
        for gram in set(bigrams(query)):
            posting = self.postings.get(gram, [])
            idf = math.log(1 + (total - len(posting) + 0.5) / (len(posting) + 0.5))
            for n, tf in posting:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[n] / self.avg)
                scores[n] += idf * tf * (self.k1 + 1) / (tf + norm)
        return [self.ids[n] for n in sorted(scores, key=lambda n: -scores[n])[:k]]


def is_hit(expected: str, ids: Sequence[str], titles: dict[str, str]) -> bool:
    title = titles[expected]
    return any(i == expected or titles.get(i) == title for i in ids[:5])


async def _ours(docs: Sequence[IndexDoc], items: Sequence[BlindQuery]) -> list[list[str]]:
    with tempfile.TemporaryDirectory(prefix="search-blind-") as tmp:
        engine = TantivyEngine(Path(tmp))
        await engine.open()
        try:
            await engine.upsert(list(docs))
            service = SearchService(engine)
            out = []
            for item in items:
                result = await service.search(item.query, page_size=10, scenes=False)
                out.append([h.hit.id for h in result.hits])
            return out
        finally:
            await engine.close()


def table(items: Sequence[BlindQuery], ranked: dict[str, list[list[str]]], titles: dict[str, str]) -> list[str]:
    names = list(ranked)
    lines = ["| kind | queries | " + " | ".join(f"{n} recall@5" for n in names) + " |"]
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in names) + " |")
    for kind in (*KINDS, "all"):
        picked = [n for n, q in enumerate(items) if kind in ("all", q.kind)]
        cells = []
        for name in names:
            hits = sum(is_hit(items[n].document, ranked[name][n], titles) for n in picked)
            cells.append(f"{hits / max(1, len(picked)):.3f}")
        lines.append(f"| {kind} | {len(picked)} | " + " | ".join(cells) + " |")
    return lines


def run(corpus: Path, half: str, misses: bool, blind_set: int = 1) -> None:
    from tests.unit.core.search.search_corpus import corpus_docs  # the quality tests' indexing, reused

    docs = corpus_docs(corpus)
    titles = {d.id: d.title for d in docs}
    items = load_blind(half, blind_set=blind_set)
    peer = BigramBM25(docs)
    ranked = {"ours": asyncio.run(_ours(docs, items)), "bigram": [peer.top(q.query) for q in items]}
    print(f"set {blind_set}, half {half}: {len(items)} queries over {len(docs)} documents")
    print("\n".join(table(items, ranked, titles)))
    if misses and half == "tune":
        for item, ids in zip(items, ranked["ours"], strict=True):
            if not is_hit(item.document, ids, titles):
                print(f"miss {item.kind} {item.query} → {item.document} {titles[item.document][:24]}: {ids[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--half", choices=(*HALVES, "all"), default="tune")
    parser.add_argument("--misses", action="store_true", help="list the tuning half's misses (never the test half)")
    parser.add_argument("--draw", action="store_true", help="print the documents of the fixed-seed pick")
    parser.add_argument("--set", type=int, choices=sorted(SETS), default=1, dest="blind_set", help="which blind set")
    args = parser.parse_args()
    if args.draw:
        colloquial, docno = (draw if args.blind_set == 1 else draw_2)(args.corpus)
        print("\n".join(f"colloquial\t{i}" for i in colloquial) + "\n" + "\n".join(f"docno_loose\t{i}" for i in docno))
        return
    run(args.corpus, args.half, args.misses, args.blind_set)


if __name__ == "__main__":
    main()
