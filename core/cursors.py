"""Page cursors (`endCursor`, passed back as `after`) that carry the listing they were made for: a cursor of one
topic, site or filter handed to another is refused, where it was read as a position in a list it never came from."""

from __future__ import annotations

import base64
import binascii

from core.errors import Invalid

PART_MAX = 200  # a listing or a position longer than this was not made here


def make_cursor(listing: str, position: str) -> str:
    """An opaque cursor: `listing` names the list with its filters (qaPairs(topic: housing)), `position` the last
    item of the page."""
    return base64.urlsafe_b64encode(f"{listing}\n{position}".encode()).decode().rstrip("=")


def _parts(cursor: str) -> tuple[str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    listing, newline, position = raw.partition("\n")
    parts = (listing, position)
    if not newline or not all(p and len(p) <= PART_MAX and p.isprintable() for p in parts):
        return None
    return parts


def read_cursor(cursor: str, listing: str) -> str:
    """The position of a cursor made for `listing`; Invalid for a cursor of another listing (naming it) or for
    text that is no cursor at all."""
    parts = _parts(cursor)
    if parts is None:
        raise Invalid(f"after: {cursor[:40]!r} is not a cursor of {listing} (pass endCursor back as it is)")
    made_for, position = parts
    if made_for != listing:
        raise Invalid(
            f"after is a cursor of {made_for}, not of {listing}: a page cursor continues the list it came from; "
            "leave after out to start this one"
        )
    return position
