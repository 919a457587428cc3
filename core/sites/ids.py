"""Site ids: the one rule every entry point checks (sites.yaml, GraphQL arguments, imports, `site:` queries)."""

from __future__ import annotations

import re

from core.errors import Invalid

SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def is_site_id(value: str) -> bool:
    """True for lower-case letters, digits and dashes, 1 to 63 characters, not starting with a dash."""
    return SITE_ID.fullmatch(value) is not None


def check_site_id(value: str, *, where: str = "") -> str:
    """The value when it is a site id; otherwise Invalid naming where it came from."""
    if not is_site_id(value):
        prefix = f"{where}: " if where else ""
        raise Invalid(f"{prefix}{value!r} is not a site id (lower-case letters, digits and dashes)")
    return value
