"""Draw the answers a new blind Q&A set is written from (issue #20), as sets 3 and 4 were drawn:

    .venv/bin/python -m ops.bench.qa_blind_draw --seed 51 --out /tmp/answers.tsv [--corpus ../shared/corpus]

Answers of 30–160 characters whose text occurs once in the corpus and whose pair is in no blind set
(`ops.bench.qa_blind.SETS`) nor the own set (`qa_eval_ncp.tsv`), shuffled with `random.Random(seed)`; the first
85 naming a province, city, district or county are offered for place_aspect and the next 375 in turn for
colloquial, paraphrase, typo, pinyin and greeting; the 460 lines are shuffled with `random.Random(seed + 1)`.
The output (pair id, kind, answer) is all a writer may see; keep it outside the project, and describe the draw
in the new set's README. A fresh writer who has seen nothing of the project writes one question per line.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import Counter
from pathlib import Path

from ops.bench.qa_blind import SETS, load_blind
from ops.bench.qa_eval import NCP_DIR, load_eval

PLACED = re.compile(r"(北京|上海|天津|重庆|省|市|自治区|区|县|州)")
KINDS = ("colloquial", "paraphrase", "typo", "pinyin", "greeting")
PLACE_ASPECT, OTHERS = 85, 375


def used_pairs() -> set[str]:
    """The pair ids of every blind set and of the own set."""
    used = {item.pair_id for number in SETS for item in load_blind("all", number)}
    return used | {pair_id for item in load_eval() for pair_id in item.expected}


def draw(corpus: Path, seed: int) -> list[tuple[str, str, str]]:
    """(pair id, kind, answer) lines for a writer, as the module's description says."""
    csv.field_size_limit(sys.maxsize)
    with (corpus / NCP_DIR / "NCPPolicies_train_20200301.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    counts = Counter(r["answer"].strip() for r in rows)
    used = used_pairs()
    pool = [
        r
        for r in rows
        if 30 <= len(r["answer"].strip()) <= 160 and counts[r["answer"].strip()] == 1 and r["id"] not in used
    ]
    random.Random(seed).shuffle(pool)
    placed = [r for r in pool if PLACED.search(r["answer"])][:PLACE_ASPECT]
    chosen = {r["id"] for r in placed}
    rest = [r for r in pool if r["id"] not in chosen][:OTHERS]
    lines = [(r["id"], "place_aspect", r["answer"]) for r in placed]
    lines += [(r["id"], KINDS[i % len(KINDS)], r["answer"]) for i, r in enumerate(rest)]
    random.Random(seed + 1).shuffle(lines)
    return [(pair_id, kind, " ".join(answer.split())) for pair_id, kind, answer in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    parser.add_argument("--seed", type=int, required=True, help="a seed no earlier set used (sets 3, 4: 31, 41)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = draw(args.corpus, args.seed)
    args.out.write_text(
        "# pair id\tkind\tanswer\n" + "".join(f"{p}\t{k}\t{a}\n" for p, k, a in lines), encoding="utf-8"
    )
    print(f"{len(lines)} answers to {args.out}: {dict(Counter(k for _, k, _ in lines))}")


if __name__ == "__main__":
    main()
