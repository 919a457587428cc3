"""In-memory retrieval over question-answer pairs: BM25 over questions and answers, then two readings.

Citizens ask with the words of the answer they need more than with the words of a question someone stored
(docs/qa-quality.md, blind set), so both sides are indexed: BM25 over analyzer terms and character bigrams of
each stored question and, weighing more, of its answer, chooses the candidates. Each candidate then gets the
better of two readings: the query *restates the stored question* (IDF-weighted overlap of terms, bigrams and
characters, mostly from the query's side, raised when the query holds most of the stored question), or it
*asks with the answer's words* (the BM25 relative to the most it could be, and the share of the query found in
the question or answer), weighed by the query's characters the pair holds, the aspect asked for (core.qa.aspects)
and the place named (core.qa.readings; 来沪 names 上海: core.textzh.places). The answer words that the query's words
predict, learned from the loaded pairs (core.qa.associations: 渠道 → 公众号, 12366), count in the answer's BM25
too. Terms survive reordering and paraphrase, bigrams survive unknown words, single characters survive a typo;
the weights were measured on the tuning half of the blind set and on the project's own set
(docs/qa-quality.md). The best five are compared with one another (readings.told_apart) and then reordered by
a small learned model (core.qa.rerank) when the first won by the answer reading. Pairs can be added and removed
one at a time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from core.qa import aspects, learned, rerank
from core.qa.associations import Associations
from core.qa.bm25 import Field
from core.qa.readings import BM25_QUESTION, RIVALS, Entry, Matched, QueryView, grams, readings, told_apart
from core.textzh import Analyzer, fold, get_analyzer
from core.textzh.places import abbreviated, places_in

_CANDIDATES = 60
_ANSWER_CHARS = 2000
_W_PREDICTED = 0.6  # the BM25 weight of an answer word the query's words predict, times its strength
_MAX_PREDICTED = 12  # the strongest predicted words kept per phrasing
_GENERIC = 0.1  # a word in this share of the stored questions says nothing about which pair is meant
_RELEARN_SHARE = 0.1  # learn the associations again when a load changes this share of the pairs
# a candidate as the readings found it: key, score before the second pass, slot, (restated reading, answer
# reading) of its best phrasing, that phrasing's index
_Row = tuple[str, float, int, tuple[float, float], int]


def own_words(terms: Sequence[str]) -> tuple[str, ...]:
    """The content words of a question that say what it is about (`readings.unasked`, `readings.held`): its
    query terms (stopwords already out) without single characters (segmentation crumbs: 年, 已, 时), bare
    numbers and place names (weighed by their own rule in readings)."""
    return tuple(
        t for t in dict.fromkeys(terms) if (len(t) > 1 or t.isascii()) and not t.isdigit() and not places_in((t,))
    )


class QaIndex:
    """Finds the pairs closest to a query, by their question and their answer; keys are pair ids."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        self._analyzer = analyzer or get_analyzer()
        self._associations = Associations()
        self._entries: dict[int, Entry] = {}
        self._slot: dict[str, int] = {}
        self._next = 0
        # BM25 fields, terms and bigrams of each side; the answer side weighs more (BM25_QUESTION) because
        # citizens ask with the words of the answer they need, not of a question someone stored.
        self._questions = Field()
        self._answers = Field()
        self._question_bigrams = Field()
        self._answer_bigrams = Field()
        self._bigram_df: Counter[str] = Counter()
        self._pair_bigram_df: Counter[str] = Counter()
        self._pair_char_df: Counter[str] = Counter()
        self._char_df: Counter[str] = Counter()
        self.term_df: Counter[str] = Counter()
        self._idf_cache: dict[tuple[int, str], float] = {}
        self._totals: dict[int, tuple[float, float, float]] = {}
        self._own: dict[int, tuple[tuple[str, float], ...]] = {}
        self._pair_sizes = 0  # distinct characters of every pair (question and answer), summed: for their mean
        # the learned re-ranking's weights (core.qa.rerank); None keeps the readings' order
        self.rerank_weights: tuple[float, ...] | None = rerank.WEIGHTS

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def add(self, key: str, question: str, answer: str = "", extra: str = "") -> frozenset[str]:
        """Index a pair (replacing one with the same key); `extra` is matched like the question (tags).

        Returns the question's index terms."""
        self.remove(key)
        text = fold(f"{question} {extra}".strip())
        text = " ".join((text, *abbreviated(text)))  # 来沪人员 is about 上海
        folded_answer = fold(answer[:_ANSWER_CHARS])
        index_terms = self._analyzer.index_terms(text)
        bigrams, chars = grams(text)
        answer_bigrams, answer_chars = grams(folded_answer)
        answer_terms = self._analyzer.index_terms(folded_answer)
        places = places_in(index_terms)
        slot, self._next = self._next, self._next + 1
        entry = Entry(
            key=key,
            terms=frozenset(index_terms),
            bigrams=frozenset(bigrams),
            chars=frozenset(chars),
            answer_bigrams=frozenset(answer_bigrams),
            answer_chars=frozenset(answer_chars),
            length=len(chars),
            places=places,
            answer_places=places | places_in(answer_terms),
            shows=aspects.shown(folded_answer),
            words=own_words(self._analyzer.query_terms(fold(question))),
        )
        self._entries[slot] = entry
        self._slot[key] = slot
        self._questions.add(slot, index_terms)
        self._answers.add(slot, answer_terms)
        self._question_bigrams.add(slot, bigrams)
        self._answer_bigrams.add(slot, answer_bigrams)
        self._bigram_df.update(entry.bigrams)
        self._pair_bigram_df.update(entry.bigrams | entry.answer_bigrams)
        self._pair_char_df.update(entry.chars | entry.answer_chars)
        self._char_df.update(entry.chars)
        self.term_df.update(entry.terms)
        self._idf_cache.clear()
        self._totals.clear()
        self._own.clear()
        self._pair_sizes += len(entry.chars | entry.answer_chars)
        return entry.terms

    def answer_terms(self, key: str) -> tuple[str, ...]:
        """The distinct index terms of a pair's answer (empty when the pair is not indexed)."""
        slot = self._slot.get(key)
        return () if slot is None else self._answers.terms_of(slot)

    def remove(self, key: str) -> None:
        """Forget a pair (no-op when absent)."""
        slot = self._slot.pop(key, None)
        if slot is None:
            return
        entry = self._entries.pop(slot)
        for field in (self._questions, self._answers, self._question_bigrams, self._answer_bigrams):
            field.remove(slot)
        self._bigram_df.subtract(entry.bigrams)
        self._pair_bigram_df.subtract(entry.bigrams | entry.answer_bigrams)
        self._pair_char_df.subtract(entry.chars | entry.answer_chars)
        self._char_df.subtract(entry.chars)
        self.term_df.subtract(entry.terms)
        self._idf_cache.clear()
        self._totals.clear()
        self._own.clear()
        self._pair_sizes -= len(entry.chars | entry.answer_chars)

    def view(self, text: str, weight: float = 1.0) -> QueryView:
        """Analyse one phrasing of a query."""
        # 来沪 names 上海 only in the stored questions: a citizen who asks about 援鄂医疗队 asks no question about 湖北
        folded = fold(text)
        bigrams, chars = grams(folded)
        terms = tuple(dict.fromkeys(self._analyzer.query_terms(folded)))
        return QueryView(
            terms,
            frozenset(bigrams),
            frozenset(chars),
            weight,
            places_in(terms),
            aspects.asked(folded),
            self._predicted(terms),
        )

    def learn(self, changed: int | None = None) -> None:
        """Learn which answer words the question words predict, from the pairs now indexed (after a load of
        `changed` pairs). A few changed pairs barely move the counts: they are learned with the next large load,
        so editing one pair never costs a relearning of all (about 1.5 s for 5,000 pairs)."""
        if changed is not None and len(self._associations) and changed < _RELEARN_SHARE * len(self._entries):
            return
        slots = list(self._entries)
        self._associations = Associations.learn(
            (self._questions.terms_of(slot), self._answers.terms_of(slot)) for slot in slots
        )

    def _predicted(self, terms: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        """The answer words the query's words predict, each with its strongest prediction."""
        if not _W_PREDICTED:
            return ()
        out: dict[str, float] = {}
        for term in terms:
            for word, strength in self._associations.of(term):
                if word not in terms and strength > out.get(word, 0.0):
                    out[word] = strength
        return tuple(sorted(out.items(), key=lambda kv: -kv[1])[:_MAX_PREDICTED])

    def _idf(self, df: Counter[str], item: str) -> float:
        key = (id(df), item)
        value = self._idf_cache.get(key)
        if value is None:
            n, d = len(self._entries), max(df.get(item, 0), 0)
            value = self._idf_cache[key] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        return value

    def _bm25(self, view: QueryView, chosen: Sequence[int]) -> Matched:
        """BM25 of the query over the question fields and over the answer fields of the chosen pairs, each
        relative to the most any pair could score there (0..1)."""
        sides, ceilings, parts = [], [], []
        for fields in ((self._questions, self._question_bigrams), (self._answers, self._answer_bigrams)):
            scores: dict[int, float] = {}
            ceiling = 0.0
            for field, items in zip(fields, (view.terms, view.bigrams), strict=True):
                part_scores = field.score_docs(((item, 1.0) for item in items), chosen)
                for doc, part in part_scores.items():
                    scores[doc] = scores.get(doc, 0.0) + part
                ceiling += field.ceiling(items, 1.0)
                parts.append(part_scores)
            sides.append({slot: s / ceiling for slot, s in scores.items()} if ceiling else {})
            ceilings.append(ceiling)
        idf = self._idf
        matched = Matched(
            view=view,
            questions=sides[0],
            answers=sides[1],
            answer_ceiling=ceilings[1],
            terms={t: idf(self.term_df, t) for t in view.terms},
            bigrams={b: idf(self._bigram_df, b) for b in view.bigrams},
            chars={c: idf(self._char_df, c) for c in view.chars},
            pair_bigrams={b: idf(self._pair_bigram_df, b) for b in view.bigrams},
            pair_chars={c: idf(self._pair_char_df, c) for c in view.chars},
        )
        # the answer words the query predicts weigh in the answer's BM25 of the candidates (only there: they
        # are common words, and scoring their whole postings would cost more than the rest)
        predicted = self._answers.score_docs(view.predicted, chosen) if view.predicted else {}
        if matched.answer_ceiling:
            for slot, extra in predicted.items():
                matched.answers[slot] = matched.answers.get(slot, 0.0) + _W_PREDICTED * extra / matched.answer_ceiling
        self._learned(matched, chosen, parts[2], parts[3], predicted)
        return matched

    def _learned(
        self,
        m: Matched,
        chosen: Sequence[int],
        terms: dict[int, float],
        bigrams: dict[int, float],
        predicted: dict[int, float],
    ) -> None:
        """The learned answer-side score of each candidate (core.qa.learned), relative to the best, into
        `m.learned`; `terms`, `bigrams` and `predicted` are the BM25 of the phrasing's terms, bigrams and
        predicted answer words over the answers."""
        vectors = self._vectors(
            m.view, chosen, terms, bigrams, predicted, m.answer_ceiling, m.pair_bigrams, m.pair_chars
        )
        m.learned.update(learned.relative({slot: learned.linear(v) for slot, v in vectors.items()}))

    def _vectors(
        self,
        view: QueryView,
        chosen: Sequence[int],
        terms: dict[int, float],
        bigrams: dict[int, float],
        predicted: dict[int, float],
        ceiling: float,
        bigram_idf: dict[str, float],
        char_idf: dict[str, float],
    ) -> dict[int, tuple[float, ...]]:
        """The answer-side feature vector (core.qa.learned.FEATURES) of each candidate."""
        ceiling = ceiling or 1.0
        bigram_total = sum(bigram_idf.values()) or 1.0
        char_total = sum(char_idf.values()) or 1.0
        out = {}
        for slot in chosen:
            entry = self._entries[slot]
            aspect = 1 - len(view.aspects - entry.shows) / len(view.aspects) if view.aspects else 1.0
            place = 0.0
            if view.places:
                place = 1.0 if view.places & entry.answer_places else (-1.0 if entry.answer_places else 0.0)
            out[slot] = learned.features(
                terms.get(slot, 0.0) / ceiling,
                bigrams.get(slot, 0.0) / ceiling,
                predicted.get(slot, 0.0) / ceiling,
                sum(bigram_idf[b] for b in view.bigrams & entry.answer_bigrams) / bigram_total,
                sum(char_idf[c] for c in view.chars & entry.answer_chars) / char_total,
                aspect,
                place,
            )
        return out

    def training_vectors(self, question: str, right: frozenset[str]) -> list[tuple[bool, tuple[float, ...]]] | None:
        """For training core.qa.learned (ops/bench/qa_learn.py): a stored question asked against the answers
        alone — the 60 answers its words select, each as (it is one of the `right` pairs, feature vector);
        None when no right pair is among them."""
        view = self.view(question)
        rough: dict[int, float] = {}
        self._answers.score(view.terms, 1.0, rough)
        self._answer_bigrams.score(view.bigrams, 1.0, rough)
        chosen = sorted(rough, key=rough.__getitem__, reverse=True)[:_CANDIDATES]
        hits = {slot for slot in chosen if self._entries[slot].key in right}
        if not hits:
            return None
        terms = self._answers.score_docs(((t, 1.0) for t in view.terms), chosen)
        bigrams = self._answer_bigrams.score_docs(((b, 1.0) for b in view.bigrams), chosen)
        predicted = self._answers.score_docs(view.predicted, chosen) if view.predicted else {}
        ceiling = self._answers.ceiling(view.terms, 1.0) + self._answer_bigrams.ceiling(view.bigrams, 1.0)
        bigram_idf = {b: self._idf(self._pair_bigram_df, b) for b in view.bigrams}
        char_idf = {c: self._idf(self._pair_char_df, c) for c in view.chars}
        vectors = self._vectors(view, chosen, terms, bigrams, predicted, ceiling, bigram_idf, char_idf)
        return [(slot in hits, vectors[slot]) for slot in chosen]

    def search(self, views: Sequence[QueryView], limit: int = 5) -> list[tuple[str, float]]:
        """The best pairs for any of the phrasings, as (key, score 0..1), best first: with re-ranking weights
        (core.qa.rerank), the best few reordered by the learned model, each position keeping its score."""
        if self.rerank_weights is None:
            return [(row[0], round(s, 4)) for s, _, row in self._ranked_rows(views, limit)[0]]
        ranked = self.ranked(views, max(limit, rerank.TOP))
        head = ranked[: rerank.TOP]
        new = rerank.order([c for _, c in head], self.rerank_weights)
        out = [(head[j][0], c.score) for j, (_, c) in zip(new, head, strict=True)]
        out += [(key, c.score) for key, c in ranked[rerank.TOP :]]
        return [(key, round(s, 4)) for key, s in out[:limit]]

    def _ranked_rows(
        self, views: Sequence[QueryView], limit: int
    ) -> tuple[list[tuple[float, float, _Row]], list[Matched]]:
        """The best pairs before the re-ranking, best first, as (final score, the second pass's factor, what
        the readings found: key, score before the second pass, slot, the two readings, the best phrasing's
        index), and each phrasing's BM25 (`Matched`)."""
        if not self._entries or not views:
            return [], []
        chosen = self._candidates(views)
        matched = [self._bm25(view, chosen) for view in views]
        sums = [m.totals for m in matched]
        floor = self._floor()
        askeds = [
            tuple((t, m.terms[t] - floor) for t in own_words(m.view.terms) if m.terms[t] > floor) for m in matched
        ]
        scored: list[_Row] = []
        for slot in chosen:
            entry = self._entries[slot]
            own = self._own_words(slot, entry)
            stored = self._stored_totals(slot, entry)
            best, parts, who = -1.0, (0.0, 0.0), 0
            for i, (m, totals, asked) in enumerate(zip(matched, sums, askeds, strict=True)):
                restated, answered, factor = readings(m, slot, entry, totals, stored, own, asked)
                s = max(restated, answered) * factor * m.view.weight
                if s > best:
                    best, parts, who = s, (restated, answered), i
            scored.append((entry.key, best, slot, parts, who))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        # second pass: the best few compared with one another (readings.told_apart)
        rivals = scored[:RIVALS]
        query = frozenset(c for view in views for c in view.chars)
        n, mean = len(self._entries), self._mean_pair_size()
        factors = told_apart(
            query,
            [self._entries[slot].chars | self._entries[slot].answer_chars for _, _, slot, _, _ in rivals],
            {c: self._idf(self._pair_char_df, c) for c in query},
            {c: max(self._pair_char_df.get(c, 0), 0) / n for c in query},
            mean,
        )
        head = scored[: max(limit, RIVALS)]
        apart = [*factors, *[1.0] * (len(head) - len(factors))]
        ranked = [(row[1] * f, f, row) for row, f in zip(head, apart, strict=True)]
        ranked.sort(key=lambda kv: (-kv[0], kv[2][0]))
        return ranked[:limit], matched

    def ranked(self, views: Sequence[QueryView], limit: int = 5) -> list[tuple[str, rerank.Candidate]]:
        """The best pairs for any of the phrasings before the re-ranking, best first, each with what the
        re-ranking reads of it (core.qa.rerank.Candidate)."""
        rows, matched = self._ranked_rows(views, limit)
        query = frozenset(c for view in views for c in view.chars)
        char_idf = {c: self._idf(self._pair_char_df, c) for c in query}
        bigrams = frozenset(b for view in views for b in view.bigrams)
        bigram_idf = {b: self._idf(self._pair_bigram_df, b) for b in bigrams}
        shares = rerank.Shares(char_idf, bigram_idf)
        out = []
        for s, f, (key, _, slot, (restated, answered), who) in rows:
            entry, view = self._entries[slot], views[who]
            place = 0
            if view.places and entry.answer_places:
                place = 1 if view.places & entry.answer_places else -1
            candidate = rerank.Candidate(
                score=s,
                restated=restated,
                answered=answered,
                learned=matched[who].learned.get(slot, 0.0),
                apart=f,
                place=place,
                unasked_place=not view.places and bool(entry.places),
                aspect_missed=len(view.aspects - entry.shows) / len(view.aspects) if view.aspects else 0.0,
                chars_in_question=shares.chars(entry.chars),
                chars_in_answer=shares.chars(entry.answer_chars),
                bigrams_in_question=shares.bigrams(entry.bigrams),
                bigrams_in_answer=shares.bigrams(entry.answer_bigrams),
                answer_size=len(entry.answer_chars),
                question_size=entry.length,
                as_typed=who == 0,
            )
            out.append((key, candidate))
        return out

    def _mean_pair_size(self) -> float:
        """The mean number of distinct characters of a pair (question and answer)."""
        return self._pair_sizes / len(self._entries) if self._entries else 0.0

    def _candidates(self, views: Sequence[QueryView]) -> list[int]:
        """The pairs worth reading closely: BM25 of every word and bigram of all the phrasings at once over
        the question fields and (weighing more) the answer fields; one pass over the postings per search."""
        terms = list(dict.fromkeys(t for view in views for t in view.terms))
        bigrams = list(dict.fromkeys(b for view in views for b in view.bigrams))
        rough: dict[int, float] = {}
        for field, items, weight in (
            (self._questions, terms, BM25_QUESTION),
            (self._question_bigrams, bigrams, BM25_QUESTION),
            (self._answers, terms, 1.0),
            (self._answer_bigrams, bigrams, 1.0),
        ):
            field.score(items, weight, rough)
        return sorted(rough, key=rough.__getitem__, reverse=True)[:_CANDIDATES]

    def _own_words(self, slot: int, entry: Entry) -> tuple[tuple[str, float], ...]:
        """The stored question's content words with their informativeness: the IDF above that of a word in a
        tenth of the stored questions, so generic words (政策, 疫情 in a COVID-19 FAQ) cost nothing when absent."""
        own = self._own.get(slot)
        if own is None:
            floor = self._floor()
            weighed = ((word, self._idf(self.term_df, word) - floor) for word in entry.words)
            own = self._own[slot] = tuple((word, w) for word, w in weighed if w > 0)
        return own

    def _floor(self) -> float:
        """The IDF of a word in a tenth of the stored questions: the informativeness of a word is its IDF above."""
        n = len(self._entries)
        return math.log(1 + (n - _GENERIC * n + 0.5) / (_GENERIC * n + 0.5))

    def _stored_totals(self, slot: int, entry: Entry) -> tuple[float, float, float]:
        """The IDF mass of a stored question's terms, bigrams and characters (kept until the IDFs change)."""
        totals = self._totals.get(slot)
        if totals is None:
            idf = self._idf
            totals = self._totals[slot] = (
                sum(idf(self.term_df, t) for t in entry.terms),
                sum(idf(self._bigram_df, b) for b in entry.bigrams),
                sum(idf(self._char_df, c) for c in entry.chars),
            )
        return totals
