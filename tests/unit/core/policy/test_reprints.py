"""Reprints: the same policy on another site is within the simhash threshold; different policies are not."""

from __future__ import annotations

from datetime import UTC, datetime

from core.policy.links import policy_names
from core.policy.reprints import MAX_DISTANCE, bands, distance, is_reprint, simhash, to_signed, to_unsigned
from ops.demo.generator import build_group


def _policies() -> list[tuple[str, str]]:
    group = build_group(datetime(2024, 6, 1, tzinfo=UTC).replace(tzinfo=None))
    return [(a.title, "\n".join(a.paragraphs)) for s in group for a in s.articles() if a.kind == "policy"]


def test_a_reprint_with_its_own_header_and_source_line_is_a_near_duplicate() -> None:
    title, text = _policies()[0]
    reprint = f"来源：示范市人民政府网站　转载日期：2024-05-02\n{text}\n（本文转载自示范市人民政府门户网站）"
    a, b = simhash(title, text), simhash(title, reprint)
    assert distance(a, b) <= MAX_DISTANCE
    assert any(x == y for x, y in zip(bands(a), bands(b), strict=True))  # found by band lookup
    assert is_reprint(a, policy_names(title), b, policy_names(title))


def test_distinct_policies_from_the_same_boilerplate_are_not_reprints() -> None:
    found = [(simhash(t, x), policy_names(t)) for t, x in _policies()[:60]]
    pairs = [(a, b) for i, a in enumerate(found) for b in found[i + 1 :]]
    assert min(distance(a[0], b[0]) for a, b in pairs) <= MAX_DISTANCE  # the text alone cannot tell them apart
    assert not any(is_reprint(a[0], a[1], b[0], b[1]) for a, b in pairs)


def test_hashes_survive_the_bigint_column() -> None:
    h = simhash("标题", "正文内容")
    assert 0 <= h < 2**64 and to_unsigned(to_signed(h)) == h and -(2**63) <= to_signed(h) < 2**63
