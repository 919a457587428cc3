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
too, and so does a rare query word the pair lacks but holds a word close to in meaning (core.qa.nearby). Terms
survive reordering and paraphrase, bigrams survive unknown words, single characters survive a typo;
the weights were measured on the tuning half of the blind set and on the project's own set
(docs/qa-quality.md). The best five are compared with one another (readings.told_apart) and then reordered by
a small learned model (core.qa.rerank) when the first won by the answer reading. Pairs can be added and removed
one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.qa import aspects, learned, rerank
from core.qa.associations import Associations
from core.qa.nearby import Nearby
from core.qa.pairs import PairTable, own_words
from core.qa.readings import BM25_QUESTION, RIVALS, Matched, QueryView, grams, readings, told_apart
from core.textzh import Analyzer, fold
from core.textzh.places import places_in

_CANDIDATES = 60
_W_PREDICTED = 0.6  # the BM25 weight of an answer word the query's words predict, times its strength
_MAX_PREDICTED = 12  # the strongest predicted words kept per phrasing
_RELEARN_SHARE = 0.1  # learn the associations again when a load changes this share of the pairs
# a candidate as the readings found it: key, score before the second pass, slot, (restated reading, answer
# reading) of its best phrasing, that phrasing's index
_Row = tuple[str, float, int, tuple[float, float], int]


class QaIndex(PairTable):
    """Finds the pairs closest to a query, by their question and their answer; keys are pair ids."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        super().__init__(analyzer)
        self._associations = Associations()
        self._nearby = Nearby()
        Nearby.prepare()  # the word vectors are read before any pair: their load's peak passes on a small heap
        # the learned re-ranking's weights (core.qa.rerank); None keeps the readings' order
        self.rerank_weights: tuple[float, ...] | None = rerank.WEIGHTS

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
        `changed` pairs), and the pairs' vocabulary to find words close in meaning among (core.qa.nearby). A few
        changed pairs barely move the counts: they are learned with the next large load, so editing one pair never
        costs a relearning of all (about 1.5 s for 5,000 pairs)."""
        if changed is not None and len(self._associations) and changed < _RELEARN_SHARE * len(self._entries):
            return
        slots = list(self._entries)
        self._nearby = Nearby.of(self.vocabulary())
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
        if self._nearby:
            asked = [(w, matched.terms[w], self.pairs_holding(w)) for w in own_words(view.terms)]
            matched.nearby.update(self._nearby.shares(asked, len(self._entries), chosen, self.holders, self.lacks))
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
