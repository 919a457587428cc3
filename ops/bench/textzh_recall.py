"""Measure compound recall and noise of textzh index terms against variants (run by hand).

Usage: .venv/bin/python -m ops.bench.textzh_recall [CORPUS_DIR]

Recall: for THUOCL legal terms of 4+ characters, the share of the shorter THUOCL terms inside them
whose query terms are all among the long term's index terms. Noise: index terms per character, and
service-guide titles matched by a THUOCL term's query terms without containing that term.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from core.textzh.analyzer import Analyzer, _bigrams
from core.textzh.lexicon import stopwords
from core.textzh.normalize import fold

Terms = Callable[[str], list[str]]


def variants(a: Analyzer) -> dict[str, tuple[Terms, Terms]]:
    tok = a._tokenizer()
    stop = stopwords()

    def plain_query(text: str) -> list[str]:
        return [t for t in a.tokens(text) if t not in stop]

    def search_mode(text: str) -> list[str]:
        return [t for t in tok.cut_for_search(fold(text)) if t.strip() and t not in stop]

    def all_subwords(text: str) -> list[str]:
        out = []
        for t in plain_query(text):
            dag = tok.get_DAG(t)
            out.append(t)
            out += [t[i : e + 1] for i in dag for e in dag[i] if e > i and t[i : e + 1] != t]
        return out

    def bigrams_everywhere(text: str) -> list[str]:
        return a.index_terms(text) + [b for t in plain_query(text) for b in _bigrams(t)]

    def bigram_query(text: str) -> list[str]:
        return [b for t in plain_query(text) for b in (_bigrams(t) or [t])]

    return {
        "jieba cut only": (plain_query, plain_query),
        "jieba search mode": (search_mode, plain_query),
        "every dictionary word in a token": (all_subwords, plain_query),
        "textzh (shipped)": (a.index_terms, a.query_terms),
        "textzh + bigrams everywhere": (bigrams_everywhere, bigram_query),
    }


def main(corpus: Path) -> None:
    law = [line.split("\t")[0] for line in (corpus / "thuocl-lexicon/THUOCL_law.txt").read_text().splitlines()]
    law = [fold(t) for t in law if t]
    law_set = set(law)
    compounds = [t for t in law if len(t) >= 4]
    pairs = [
        (c, s)
        for c in compounds
        for s in {c[i:j] for i in range(len(c)) for j in range(i + 2, len(c) + 1)}
        if s != c and s in law_set
    ]
    titles = (corpus / "guangdong-service-guides-clarencekong/dict/matter.txt").read_text().splitlines()
    titles = [fold(t) for t in titles if t.strip()]
    probes = [t for t in law_set if len(t) >= 2 and sum(t in x for x in titles) >= 2][:400]
    a = Analyzer()
    print(f"{len(pairs)} (compound, sub-term) pairs from {len(compounds)} compounds; {len(probes)} title probes")
    for name, (index, query) in variants(a).items():
        idx = {c: set(index(c)) for c in compounds}
        hit = sum(set(query(s)) <= idx[c] for c, s in pairs)
        title_idx = [set(index(t)) for t in titles]
        matched = spurious = found = relevant = 0
        for p in probes:
            q = set(query(p))
            for t, ti in zip(titles, title_idx, strict=True):
                ok = bool(q) and q <= ti
                matched += ok
                spurious += ok and p not in t
                relevant += p in t
                found += ok and p in t
        per_char = sum(len(index(t)) for t in titles) / sum(len(t) for t in titles)
        print(
            f"{name:34} compound recall {hit / len(pairs):6.1%}  title recall {found / relevant:6.1%}  "
            f"spurious {spurious / max(matched, 1):5.1%}  terms/char {per_char:.2f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared/corpus")
