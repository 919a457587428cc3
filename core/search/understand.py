"""Query understanding: 文号, pinyin, typos, colloquial synonyms and traditional script, each rewrite recorded."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from core.search.analysis import query_terms
from core.textzh.analyzer import get_analyzer
from core.textzh.colloquial import ColloquialLexicon
from core.textzh.docno import parse_doc_nos
from core.textzh.normalize import fold, to_simplified
from core.textzh.phrases import PhraseIndex
from core.textzh.pinyin import PinyinIndex, reading
from core.textzh.synonyms import SynonymTable
from core.textzh.typo import Corrector

MAX_HANZI_TERMS = 150_000
PINYIN_CANDIDATES = 4
INITIALS_CANDIDATES = 8
PHRASE_SCORE = 0.5  # a whole phrase of a title ranks like a likely composition
AUTO_CORRECT_CONFIDENCE = 0.5
COLLOQUIAL_WEIGHT = 1.0  # the query in official words ranks beside the query as typed
ANY_TERM_MIN = 3
ANY_TERM_WEIGHT = 1.5  # the subject's words, any of them: trusted like a synonym
_HAN = re.compile(r"[\u4e00-\u9fff]")
_VOWELS = re.compile(r"[aeiouv]")
_LATIN_TERM = re.compile(r"^[a-z]{2,12}$")
# 穗府办规2024-13号 and 国办发2017—47号: a dash between year and number is common in file names and chats.
_DASHED = re.compile(r"([\u4e00-\u9fff])\s*((?:19|20)\d{2})(?:\s*[-—–_/]\s*|\s+)(\d{1,6})\s*号?")
_ORDER = re.compile(r"(令)\s*(\d{1,6})\s*号")


@dataclass(frozen=True)
class Rewrite:
    """One rewrite of the query: kind is doc_no, pinyin, typo, synonym (colloquial words too) or traditional."""

    kind: str
    original: str
    replacement: str


@dataclass(frozen=True)
class Variant:
    """A query to run; results of all variants are fused by weighted reciprocal rank."""

    query: str
    weight: float
    doc_no: str = ""
    rewrite: Rewrite | None = None
    any_term: bool = False  # any of its terms may match, not all


@dataclass(kw_only=True)
class Interpretation:
    """What the query was understood as: variants to run, a correction to apply if it finds little, rewrites."""

    original: str
    variants: list[Variant]
    rewrites: list[Rewrite] = field(default_factory=list)
    correction: Variant | None = None
    # The correction's own rewrites (its synonyms): run, kept or dropped with the correction.
    correction_rewrites: list[Variant] = field(default_factory=list)
    did_you_mean: str | None = None
    related: list[str] = field(default_factory=list)

    @property
    def primary(self) -> Variant:
        """The variant whose total and facets describe the result: the strongest text query needing all its
        terms."""
        text = [v for v in self.variants if not v.doc_no and not v.any_term]
        return max(text or self.variants, key=lambda v: v.weight)


class Lexicon:
    """Pinyin, typo and completion helpers built from one snapshot of the engine's vocabulary and titles."""

    def __init__(self, vocabulary: list[tuple[str, int]], *, doc_count: int = 0, titles: Sequence[str] = ()) -> None:
        self.doc_count = doc_count
        self.phrases = PhraseIndex.from_titles(titles, get_analyzer().tokens) if titles else PhraseIndex()
        self.built_at = time.monotonic()
        self.freq: dict[str, int] = dict(vocabulary)
        hanzi = [(t, f) for t, f in vocabulary if 2 <= len(t) <= 8 and all(_HAN.match(c) for c in t)]
        hanzi = hanzi[:MAX_HANZI_TERMS]
        latin = [(t, f) for t, f in vocabulary if _LATIN_TERM.match(t)]
        self.pinyin = PinyinIndex([*hanzi, *latin])
        self.corrector = Corrector(hanzi)
        # (full pinyin, initials, term) for prefix completion, sorted by frequency
        self.readings: list[tuple[str, str, str, int]] = []
        for term, freq in hanzi[:20_000]:
            syls = reading(term)
            if len(syls) == len(term):
                self.readings.append(("".join(syls), "".join(s[0] for s in syls), term, freq))

    @classmethod
    def empty(cls) -> Lexicon:
        return cls([])


def normalize_doc_no_text(text: str) -> str:
    """The query with dashed 文号 (穗府办规2024-13号) in a form the 文号 parser reads."""
    text = _DASHED.sub(lambda m: f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号", text)
    return _ORDER.sub(lambda m: f"{m.group(1)}第{m.group(2)}号", text)


def find_doc_no(text: str) -> str:
    """The normalised 文号 a query holds, or ''."""
    docs = parse_doc_nos(normalize_doc_no_text(text))
    return docs[0].normalized if docs else ""


def is_pinyin(folded: str, lexicon: Lexicon) -> bool:
    """Pinyin by its form, or initials with a zero-initial syllable that a title phrase has (`xaxq`)."""
    if lexicon.pinyin.is_probably_pinyin(folded):
        return True
    return lexicon.pinyin.could_be_initials(folded) and bool(lexicon.phrases.lookup(folded, 1))


def pinyin_candidates(folded: str, lexicon: Lexicon, queries: PhraseIndex | None) -> list[tuple[str, float]]:
    """Hanzi readings of a pinyin query with scores, best first.

    Initials: whole phrases people searched, then whole phrases of titles, then compositions of
    vocabulary words. Full pinyin: compositions first (each syllable spelled out is precise), then
    whole phrases.
    """
    initials = not _VOWELS.search(folded) or lexicon.pinyin.could_be_initials(folded)
    limit = INITIALS_CANDIDATES if initials else PINYIN_CANDIDATES
    composed = lexicon.pinyin.candidates(folded, limit)
    phrases = [*(queries.lookup(folded, limit) if queries is not None else []), *lexicon.phrases.lookup(folded, limit)]
    scored = [(p, PHRASE_SCORE) for p, _ in phrases]
    out: dict[str, float] = {}
    for phrase, score in [*scored, *composed] if initials else [*composed, *scored]:
        out.setdefault(phrase, score)
    return list(out.items())[:limit]


def understand(
    text: str,
    lexicon: Lexicon,
    synonyms: SynonymTable,
    queries: PhraseIndex | None = None,
    colloquial: ColloquialLexicon | None = None,
) -> Interpretation:
    """Rewrites of a query's free text, most trusted first; the original is always among the variants."""
    out = Interpretation(original=text, variants=[])
    folded = fold(text)
    if not folded:
        return out
    simplified = to_simplified(text)
    if simplified != text and _HAN.search(text):
        out.rewrites.append(Rewrite("traditional", text, simplified))
    doc_no = find_doc_no(folded)
    if doc_no:
        # the document with that 文号 first, whatever else the query says
        out.variants.append(Variant("", 10.0, doc_no, Rewrite("doc_no", text, doc_no)))
        out.rewrites.append(Rewrite("doc_no", text, doc_no))
        # the 文号 as words too: a page that only quotes it in its text still matches
        out.variants.append(Variant(folded, 1.0))
        return out
    if is_pinyin(folded, lexicon):
        # Initials are ambiguous (jtys: 交通运输 or 家庭医生): their candidates share the first results.
        initials = not _VOWELS.search(folded) or lexicon.pinyin.could_be_initials(folded)
        found = pinyin_candidates(folded, lexicon, queries)
        for i, (hanzi, score) in enumerate(found):
            rewrite = Rewrite("pinyin", text, hanzi)
            weight = 1.0 - 0.1 * i if initials else (2.0 if i == 0 else max(0.2, score))
            out.variants.append(Variant(hanzi, weight, rewrite=rewrite))
            if i == 0:
                out.rewrites.append(rewrite)
            else:
                out.related.append(hanzi)
        out.variants.append(Variant(folded, 0.5))
        return out
    add_synonyms(out, folded, synonyms, typed=text)
    out.variants.append(Variant(folded, 1.0))
    # spoken words the synonym table left are read from its rewrite (生孩子补贴 stays 生育津贴)
    official = next((v.query for v in out.variants if v.rewrite is not None), folded)
    add_colloquial(out, official, colloquial or ColloquialLexicon.default(), synonyms)
    correction = lexicon.corrector.suggest(folded)
    if correction is not None and correction.text != folded:
        out.did_you_mean = correction.text
        rewrite = Rewrite("typo", text, correction.text)
        weight = 1.5 if correction.confidence >= AUTO_CORRECT_CONFIDENCE else 0.8
        out.correction = Variant(correction.text, weight, rewrite=rewrite)
        out.correction_rewrites = synonym_variants(correction.text, synonyms, typed=correction.text, weight=weight)
    return out


def add_colloquial(out: Interpretation, text: str, colloquial: ColloquialLexicon, synonyms: SynonymTable) -> None:
    """Variants of the (folded, maybe synonym-rewritten) text in official words: its spoken words read
    officially, fillers dropped (开个小饭馆要办啥证 → 开办餐饮服务要办什么许可证), with that reading's synonyms as for
    any other rewrite; and its subject's words, any of them. Fused beside the query as typed, not instead
    of it: recorded on the variants only (no 已为您搜索 notice)."""
    plain = colloquial.drop_fillers(text)
    official = next(iter(colloquial.rewrite(plain)), plain)
    typed_terms, official_terms = query_terms(text), query_terms(official)
    subject = query_terms(" ".join(colloquial.subject(text)))
    if len(official_terms) >= ANY_TERM_MIN and subject and subject != typed_terms:
        # Only when asking words were left out (an any-term variant of the query itself found nothing more
        # on the tuning half and cost a disjunction per query); with the words inside compounds: 积分入户
        # finds a page that writes 积分制入户.
        analyzer = get_analyzer()
        words = dict.fromkeys(w for t in subject for w in (t, *analyzer.parts(t)))
        out.variants.append(Variant(" ".join(words), ANY_TERM_WEIGHT, any_term=True))
    known = frozenset(v.query for v in out.variants)
    if official_terms == typed_terms or official in known:
        return  # the same terms: the query as typed already searches them
    out.variants.append(Variant(official, COLLOQUIAL_WEIGHT, rewrite=Rewrite("synonym", text, official)))
    out.variants += synonym_variants(official, synonyms, typed=official, weight=COLLOQUIAL_WEIGHT, known=known)


def synonym_variants(
    text: str, synonyms: SynonymTable, *, typed: str, weight: float = 1.0, known: frozenset[str] = frozenset()
) -> list[Variant]:
    """The official forms of `text` not in `known` as variants weighted after the text's own `weight`, the
    first (a rewrite of `typed`) highest."""
    found = [o for o in synonyms.rewrite(text)[:3] if o not in known]
    return [
        Variant(official, weight * (1.5 if i == 0 else 0.5), rewrite=Rewrite("synonym", typed, official))
        for i, official in enumerate(found)
    ]


def add_synonyms(out: Interpretation, text: str, synonyms: SynonymTable, *, typed: str, weight: float = 1.0) -> None:
    """The official forms of `text` as variants weighted after the text's own `weight`: the first one is
    a rewrite of `typed`, the others are suggested."""
    found = synonym_variants(text, synonyms, typed=typed, weight=weight, known=frozenset(v.query for v in out.variants))
    for i, variant in enumerate(found):
        out.variants.append(variant)
        if i == 0 and variant.rewrite is not None:
            out.rewrites.append(variant.rewrite)
        else:
            out.related.append(variant.query)


def synonyms_of_reading(meaning: Interpretation, synonyms: SynonymTable) -> Interpretation:
    """The reading a pinyin query was given (shebao → 社保) goes on through the synonym table (社保 → 社会保险)
    as typed text does, so that it finds what the hanzi find."""
    top = next((v for v in meaning.variants if v.rewrite is not None and v.rewrite.kind == "pinyin"), None)
    if top is None:
        return meaning
    out = replace(
        meaning, variants=list(meaning.variants), rewrites=list(meaning.rewrites), related=list(meaning.related)
    )
    add_synonyms(out, top.query, synonyms, typed=top.query, weight=top.weight)
    return out
