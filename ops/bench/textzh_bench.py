"""Throughput of the textzh layer on real service guides (run by hand; prints docs/s, never a test).

Usage: .venv/bin/python -m ops.bench.textzh_bench [CORPUS_DIR]
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from core.textzh import Corrector, PinyinIndex, SensitiveFilter, SynonymTable, fold, get_analyzer


def rate(name: str, items: list[str], work: Callable[[str], object]) -> None:
    start = time.perf_counter()
    for item in items:
        work(item)
    elapsed = time.perf_counter() - start
    chars = sum(map(len, items))
    print(f"{name:28} {len(items) / elapsed:10.0f} /s   {chars / elapsed / 1e6:6.2f} Mchar/s")


def main(corpus: Path) -> None:
    path = corpus / "guangdong-service-guides-clarencekong" / "service_guides.jsonl"
    docs = [" ".join(str(v) for v in json.loads(line).values()) for line in path.read_text().splitlines()]
    analyzer = get_analyzer()
    analyzer.index_terms("warm up")
    print(f"{len(docs)} service guides, {sum(map(len, docs)) / len(docs):.0f} chars each")
    rate("fold (docs)", docs, fold)
    rate("index_terms (docs)", docs, analyzer.index_terms)
    rate("sensitive find (docs)", docs, SensitiveFilter.default().find)
    vocabulary: Counter[str] = Counter()
    for doc in docs:
        vocabulary.update(analyzer.index_terms(doc))
    titles = [json.loads(line)["TASK_NAME"] for line in path.read_text().splitlines()]
    rate("query_terms (titles)", titles, analyzer.query_terms)
    started = time.perf_counter()
    pinyin, corrector = PinyinIndex(vocabulary), Corrector(vocabulary)
    print(f"{'build pinyin + typo':28} {time.perf_counter() - started:10.2f} s for {len(vocabulary)} terms")
    rate("pinyin candidates", ["shebao", "gjj", "社bao", "yingyezhizhao", "sfz"] * 200, pinyin.candidates)
    rate("typo suggest (titles)", titles, corrector.suggest)
    rate("synonym rewrite (titles)", titles, SynonymTable.default().rewrite)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared/corpus")
