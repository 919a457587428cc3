"""Page arguments with a hard maximum, checked in one place."""

from __future__ import annotations

from core.errors import Invalid


def check_page(page: int, page_size: int, max_page_size: int) -> tuple[int, int]:
    """Validate 1-based page and size; returns (offset, limit)."""
    if page < 1:
        raise Invalid(f"page must be 1 or more, not {page}")
    if page_size < 1 or page_size > max_page_size:
        raise Invalid(f"pageSize must be between 1 and {max_page_size}, not {page_size}")
    if (page - 1) * page_size > 100_000:
        raise Invalid("page is too deep: narrow the query with filters instead")
    return (page - 1) * page_size, page_size
