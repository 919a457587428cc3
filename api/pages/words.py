"""Hot words of a site's newest titles for the big screen, with the analyser search and Q&A use.

This is display arithmetic over titles the schema returned (`documents`), not stored data; a `hotWords` field
in the schema would let every frontend share it (see docs/portal.md)."""

from __future__ import annotations

import re
from collections import Counter

from core.textzh.analyzer import get_analyzer
from core.textzh.lexicon import stopwords

MIN_CHARS = 2
HANZI = re.compile(r"[\u4e00-\u9fff]")  # words with Chinese characters only: markup or URLs in titles say nothing
SHOWN = 20
# Words every government title carries: they say nothing about what is new.
GENERIC = frozenset(
    {"关于", "通知", "公告", "印发", "工作", "开展", "进一步", "有关", "情况", "公示", "政府", "人民政府"}
)


def hot_words(titles: list[str], *, shown: int = SHOWN) -> list[tuple[str, int]]:
    """The most frequent words of the titles (two characters or more, no stop or generic words)."""
    analyzer, stop = get_analyzer(), stopwords()
    counts: Counter[str] = Counter()
    for title in titles:
        seen = {
            t
            for t in analyzer.tokens(title)
            if len(t) >= MIN_CHARS and HANZI.search(t) and t not in stop and t not in GENERIC
        }
        counts.update(seen)  # a word counts once per title
    return counts.most_common(shown)
