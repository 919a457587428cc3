"""Builds tantivy queries from a SearchRequest out of Query objects: user text never meets a parser."""

from __future__ import annotations

from collections.abc import Sequence

from tantivy import FieldType, Occur, Query, Schema

from core.search.analysis import char_terms, normalize_keyword, query_terms
from core.search.models import SearchRequest
from core.search.rescore import EXACT_TEXT_BOOST, EXACT_TITLE_BOOST
from core.search.rescore import MAX_CHUNKS as MAX_QUERY_CHUNKS
from core.search.tantivy_schema import to_datetime

TITLE_BOOST = 3.0
PINNED_BOOST = 100.0
MAX_PHRASE_TOKENS = 32
MAX_PINNED_CHARS = 200


def phrase(schema: Schema, field: str, text: str) -> Query | None:
    """Exact-substring match over a character field; None when `text` has nothing to match."""
    tokens = char_terms(text)[:MAX_PHRASE_TOKENS]
    if not tokens:
        return None
    if len(tokens) == 1:  # tantivy panics on a one-term phrase
        return Query.term_query(schema, field, tokens[0])
    return Query.phrase_query(schema, field, list(tokens))


def _either(queries: Sequence[Query | None]) -> Query | None:
    """Any of the queries given; None if none was."""
    present = [q for q in queries if q is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return Query.boolean_query([(Occur.Should, q) for q in present])


def _boost(query: Query | None, boost: float) -> Query | None:
    return None if query is None else Query.boost_query(query, boost)


def text_query(schema: Schema, raw: str, *, relaxed: bool = False) -> Query | None:
    """Every query term (any one if `relaxed`) in title or text, title weighing more; pinned queries score
    extra. None when the query has nothing to match on.

    Chunks found exactly in the title or body score extra too, but only among the best matches
    (`core.search.rescore`): checking character positions of every match here made broad queries ten
    times slower. One term (or any term) is a flat disjunction of term queries: cheaper to score than
    nested boolean queries. (tantivy could prune it with block-max WAND, but the exact total counts every
    match anyway: with the count, ranking these common words costs about 10% more, measured at 1M.)
    """
    terms = query_terms(raw)
    pinned = normalize_keyword(raw[:MAX_PINNED_CHARS])
    # Pinned documents come first for their query even when their text does not contain it.
    pin = [Query.boost_query(Query.term_query(schema, "pinned", pinned), PINNED_BOOST)] if pinned else []

    def either_field(term: str) -> list[Query]:
        title = Query.boost_query(Query.term_query(schema, "title_terms", term), TITLE_BOOST)
        return [title, Query.term_query(schema, "text_terms", term)]

    if len(terms) == 1 or (terms and relaxed):
        return Query.boolean_query(
            [(Occur.Should, q) for t in terms for q in either_field(t)] + [(Occur.Should, q) for q in pin]
        )
    if terms:
        match = Query.boolean_query(
            [(Occur.Must, Query.boolean_query([(Occur.Should, q) for q in either_field(t)])) for t in terms]
        )
    else:  # e.g. a query of stop words only: match it literally
        found = [
            q
            for chunk in raw.split()[:MAX_QUERY_CHUNKS]
            for field, boost in (("title_chars", EXACT_TITLE_BOOST), ("text_chars", EXACT_TEXT_BOOST))
            if (q := _boost(phrase(schema, field, chunk), boost)) is not None
        ]
        if not found:
            return None
        match = Query.boolean_query([(Occur.Should, q) for q in found])
    return Query.boolean_query([(Occur.Should, match), *((Occur.Should, q) for q in pin)]) if pin else match


def filter_queries(schema: Schema, req: SearchRequest) -> list[Query]:
    must: list[Query] = []
    for name, values in req.filters.items():
        wanted = [v for v in values if v]
        if wanted:
            must.append(Query.term_set_query(schema, name, wanted))
    if req.published_after or req.published_before:
        must.append(
            Query.range_query(
                schema,
                "published_at",
                FieldType.Date,
                to_datetime(req.published_after) if req.published_after else None,
                to_datetime(req.published_before) if req.published_before else None,
            )
        )
    if req.doc_no.strip():
        must.append(Query.term_query(schema, "doc_no_normalized", req.doc_no.strip()))
    if req.ids:
        must.append(Query.term_set_query(schema, "id", req.ids))
    return must


def _phrases(schema: Schema, req: SearchRequest) -> list[Query]:
    """Quoted phrases (in the title or the text), then title: terms."""
    quoted = [_either([phrase(schema, "title_chars", p), phrase(schema, "text_chars", p)]) for p in req.must_phrases]
    titled = [phrase(schema, "title_chars", t) for t in req.title_terms]
    return [q for q in [*quoted, *titled] if q is not None]


def _excluded(schema: Schema, req: SearchRequest) -> list[Query]:
    """-excluded words, each in the title and in the text."""
    found = [phrase(schema, f, t) for t in req.exclude_terms for f in ("title_chars", "text_chars")]
    return [q for q in found if q is not None]


def build_query(schema: Schema, req: SearchRequest, *, relaxed: bool = False) -> Query:
    main = text_query(schema, req.query, relaxed=relaxed or req.any_term)
    musts = [*([main] if main is not None else []), *_phrases(schema, req), *filter_queries(schema, req)]
    # A query of only exclusions (or nothing) means "everything except": tantivy needs a positive clause.
    clauses = [(Occur.Must, q) for q in musts or [Query.all_query()]]
    clauses += [(Occur.MustNot, q) for q in _excluded(schema, req)]
    if len(clauses) == 1 and main is not None:
        return main  # unwrapped: a flat disjunction scores without a boolean wrapper around it
    return Query.boolean_query(clauses)


def highlight_source(req: SearchRequest) -> list[str]:
    """The strings whose occurrences hits should mark."""
    return [*query_terms(req.query), *req.must_phrases, *req.title_terms]
