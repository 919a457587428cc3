"""Signed search ids, day-salted client hashes and which searches count towards suggestions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import Invalid
from core.search.popularity import QueryTally
from core.search.signing import Signer, client_bucket, nonce_of
from core.textzh.sensitive import SensitiveFilter

NOW = datetime(2031, 5, 1, 8, 0, tzinfo=UTC)
KEY = "k" * 32


def test_a_signed_id_carries_the_page_it_served_and_nothing_else_verifies() -> None:
    signer = Signer(KEY)
    sid = signer.sign(page=2, page_size=10, served=7, scene_hits=3, at=NOW)
    page = signer.verify(sid, now=NOW + timedelta(minutes=5))
    assert (page.page, page.page_size, page.served, page.nonce) == (2, 10, 7, nonce_of(sid))
    assert [p for p in range(1, 40) if page.allows(p)] == [1, 2, 3, *range(11, 18)]
    forged = [
        sid.rsplit(".", 1)[0] + "." + "0" * 32,  # a made-up signature
        sid.replace(".2.10.7.", ".1.100.100."),  # a wider page under the old signature
        "0123456789abcdef0123456789abcdef",  # the old unsigned format
        Signer("another key of 16+ chars").sign(page=1, page_size=10, served=10, scene_hits=0, at=NOW),
    ]
    for bad in forged:
        with pytest.raises(Invalid, match="not an id returned by search"):
            signer.verify(bad, now=NOW)
    with pytest.raises(Invalid, match="expired"):
        signer.verify(sid, now=NOW + timedelta(days=1, seconds=1))


def test_a_signed_id_knows_which_document_was_at_each_position_it_served() -> None:
    signer = Signer(KEY)
    shown = [(11, "doc-a"), (12, "doc-b"), (1, "scene-x"), (2, "doc-a")]
    sid = signer.sign(page=2, page_size=10, served=2, scene_hits=2, at=NOW, shown=shown)
    page = signer.verify(sid, now=NOW)
    assert all(signer.showed(page, p, d) for p, d in shown)
    assert not any(signer.showed(page, p, d) for p, d in [(11, "doc-b"), (12, "doc-a"), (1, "doc-a"), (11, "doc-z")])
    other = signer.verify(signer.sign(page=2, page_size=10, served=2, scene_hits=0, at=NOW, shown=shown[:2]), now=NOW)
    assert not signer.showed(other, 1, "scene-x")
    # the tags are under the mac: one borrowed from another search, or dropped, makes the id a forgery
    nonce, *middle, tags, mac = sid.split(".")
    with pytest.raises(Invalid, match="not an id returned by search"):
        signer.verify(".".join([nonce, *middle, tags[:-4], mac]), now=NOW)


def test_client_hashes_change_with_the_day_and_the_key_and_group_an_ipv6_slash_64() -> None:
    signer = Signer(KEY)
    today, tomorrow = date(2031, 5, 1), date(2031, 5, 2)
    assert signer.client_hash("203.0.113.9", today) == signer.client_hash("203.0.113.9", today)
    assert signer.client_hash("203.0.113.9", today) != signer.client_hash("203.0.113.9", tomorrow)
    assert signer.client_hash("203.0.113.9", today) != Signer("x" * 32).client_hash("203.0.113.9", today)
    assert "203.0.113.9" not in signer.client_hash("203.0.113.9", today)
    assert client_bucket("2001:db8::1") == client_bucket("2001:db8::ffff:1") == "2001:db8::/64"
    assert client_bucket("::ffff:203.0.113.9") == "203.0.113.9"


def test_only_searches_with_results_and_no_sensitive_word_count_once_per_client_and_day() -> None:
    tally = QueryTally(Signer(KEY), SensitiveFilter.default())
    day = date(2031, 5, 1)
    assert all(tally.count("社保卡 补办", client="198.51.100.1", found=True, day=day) for _ in range(300))
    assert not tally.count("无结果的词", client="198.51.100.1", found=False, day=day)
    assert not tally.count("狗官 社保卡", client="198.51.100.1", found=True, day=day)
    assert not tally.count("社保卡", client=None, found=True, day=day)
    assert not tally.count("长" * 41, client="198.51.100.1", found=True, day=day)
    tally.count("社保卡 补办", client="198.51.100.2", found=True, day=day)
    rows = tally.drain()
    assert [(d, q) for d, q, _ in rows] == [(day, "社保卡 补办")] * 2 and tally.drain() == []
