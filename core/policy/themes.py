"""主题分类 prediction: tf-idf nearest centroid (Rocchio) over analyzer terms, seeded with the taxonomy's words.

A page is the set of its analyzer terms (title terms weigh TITLE_WEIGHT, the first BODY_CHARS of the text
one), weighted by idf over the labelled pages and normalised. A label's centroid is the sum of its
pages' vectors plus its own words (教育, 劳动就业 …) at SEED_WEIGHT, normalised, so a theme no labelled
page has shown yet can still be predicted; the nearest centroid by cosine wins. Multinomial naive Bayes
was measured too and lost (docs/policy.md): with 60 pages in 33 labels it gives everything to the
labels with the most text. Pure standard library: numpy is not installed here and not needed at this size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.policy.taxonomy import all_labels, label_words, normalize_theme, split_theme
from core.textzh import get_analyzer

BODY_CHARS = 3000
TITLE_WEIGHT = 2
SEED_WEIGHT = 0.3

Vector = dict[str, float]


@dataclass(frozen=True)
class Example:
    """A labelled page: its title, text and 主题分类."""

    title: str
    text: str
    label: str


@dataclass(frozen=True)
class Prediction:
    """A predicted theme with its cosine similarity to the label's centroid."""

    label: str
    score: float

    @property
    def top(self) -> str:
        return split_theme(self.label)[0]


def features(title: str, text: str) -> Counter[str]:
    """Weighted term presence of a page."""
    analyzer = get_analyzer()
    out: Counter[str] = Counter()
    for term in set(analyzer.index_terms(title)):
        out[term] += TITLE_WEIGHT
    for term in set(analyzer.index_terms(text[:BODY_CHARS])):
        out[term] += 1
    return out


def _unit(v: dict[str, float]) -> Vector:
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {t: x / norm for t, x in v.items()}


class ThemeModel:
    """A trained classifier; `train` builds one from labelled examples (or their precomputed features)."""

    def __init__(self, idf: dict[str, float], default_idf: float, centroids: dict[str, Vector], labelled: int):
        self._idf = idf
        self._default_idf = default_idf
        self._centroids = centroids
        self.labelled = labelled

    @classmethod
    def train(cls, examples: Iterable[Example], *, seed: bool = True) -> ThemeModel:
        return cls.from_features(((features(e.title, e.text), e.label) for e in examples), seed=seed)

    @classmethod
    def from_features(cls, labelled: Iterable[tuple[Counter[str], str]], *, seed: bool = True) -> ThemeModel:
        pages = [(f, label) for f, raw in labelled if (label := normalize_theme(raw)) is not None]
        df: Counter[str] = Counter(t for f, _ in pages for t in f)
        n = len(pages)
        idf = {t: math.log((n + 1) / (c + 1)) + 1 for t, c in df.items()}
        model = cls(idf, math.log(n + 1) + 1, {}, n)
        sums: dict[str, Counter[str]] = {}
        for f, label in pages:
            sums.setdefault(label, Counter()).update(model.vector(f))
        if seed:
            analyzer = get_analyzer()
            for label in all_labels():
                words = label_words(label)
                terms = {t for w in words for t in (w, *analyzer.index_terms(w))}
                sums.setdefault(label, Counter()).update(dict.fromkeys(terms, SEED_WEIGHT))
        model._centroids = {label: _unit(dict(c)) for label, c in sums.items() if c}
        return model

    def vector(self, feats: Counter[str]) -> Vector:
        return _unit({t: w * self._idf.get(t, self._default_idf) for t, w in feats.items()})

    def rank(self, feats: Counter[str]) -> list[Prediction]:
        """Every label, most similar first."""
        q = self.vector(feats)
        scores = [
            Prediction(label, sum(w * c.get(t, 0.0) for t, w in q.items())) for label, c in self._centroids.items()
        ]
        return sorted(scores, key=lambda p: (-p.score, p.label))

    def predict(self, title: str, text: str) -> Prediction | None:
        ranked = self.rank(features(title, text))
        return ranked[0] if ranked and ranked[0].score > 0 else None


@dataclass(frozen=True)
class Accuracy:
    """Cross-validated accuracy at both levels of the taxonomy."""

    pages: int
    second_level: float
    top_level: float


def cross_validate(examples: Sequence[Example], *, seed: bool = True) -> Accuracy:
    """Leave-one-out accuracy: each page is predicted by a model trained on all the others."""
    feats = [features(e.title, e.text) for e in examples]
    labels = [normalize_theme(e.label) or "" for e in examples]
    hits = top_hits = 0
    for i in range(len(examples)):
        others = ((f, lab) for j, (f, lab) in enumerate(zip(feats, labels, strict=True)) if j != i)
        best = ThemeModel.from_features(others, seed=seed).rank(feats[i])[0]
        hits += best.label == labels[i]
        top_hits += best.top == split_theme(labels[i])[0]
    n = max(len(examples), 1)
    return Accuracy(len(examples), hits / n, top_hits / n)
