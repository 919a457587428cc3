"""Page cursors name the list they continue: the position comes back only to that list."""

from __future__ import annotations

import base64

import pytest

from core.cursors import make_cursor, read_cursor
from core.errors import Invalid


def test_a_cursor_gives_its_position_back_to_its_own_listing_only() -> None:
    cursor = make_cursor("qaPairs(topic: housing)", "hotline-12")
    assert read_cursor(cursor, "qaPairs(topic: housing)") == "hotline-12"
    with pytest.raises(Invalid, match=r"a cursor of qaPairs\(topic: housing\), not of qaPairs\(topic: tax\)"):
        read_cursor(cursor, "qaPairs(topic: tax)")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        base64.urlsafe_b64encode(b"hotline-12").decode(),  # a position alone, as cursors were made before
        base64.urlsafe_b64encode(b"qaPairs(topic: tax)\n").decode(),  # no position
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not text
        make_cursor("x" * 300, "p"),
    ],
)
def test_text_that_is_no_cursor_is_refused_as_such(cursor: str) -> None:
    with pytest.raises(Invalid, match="is not a cursor of qaPairs"):
        read_cursor(cursor, "qaPairs(topic: tax)")
