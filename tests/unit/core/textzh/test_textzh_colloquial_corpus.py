"""The bundled spoken → official lexicon against the corpus: every official form is a wording documents use."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.textzh.colloquial import ColloquialLexicon
from ops.bench.qa_eval import load_ncp_pairs
from tests.unit.core.search.search_corpus import corpus_docs

pytestmark = pytest.mark.corpus


def test_every_official_form_occurs_in_the_corpus(corpus: Path) -> None:
    texts = [f"{d.title}\n{d.text}" for d in corpus_docs(corpus)] + [p.answer for p in load_ncp_pairs(corpus)]
    lexicon = ColloquialLexicon.default()
    unattested = sorted(set(lexicon.rows()) - set(lexicon.attested(texts).rows()))
    assert unattested == []
    assert len({spoken for spoken, _ in lexicon.rows()}) >= 900
