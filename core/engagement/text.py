"""Checks of what editors and citizens type: trimmed, bounded text and http(s) URLs, each with a clear message."""

from __future__ import annotations

from urllib.parse import urlsplit

from core.errors import Invalid

URL_MAX = 2000


def check_text(name: str, value: str | None, most: int) -> str:
    """The value trimmed; Invalid naming the field when it is empty or longer than `most` characters."""
    value = (value or "").strip()
    if not value:
        raise Invalid(f"{name} must not be empty")
    if len(value) > most:
        raise Invalid(f"{name} is {len(value)} characters; at most {most} are allowed")
    return value


def check_url(name: str, value: str | None) -> str | None:
    """An http(s) URL trimmed, or None when blank; Invalid naming the field otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(value) > URL_MAX:
        raise Invalid(f"{name} must be an http(s) URL of at most {URL_MAX} characters, not {value[:100]!r}")
    return value
