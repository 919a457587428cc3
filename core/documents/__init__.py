"""Documents: every page, file and record of the group, as stored in Postgres (the truth)."""

from core.documents.service import (
    Document,
    apply_pages,
    get_document,
    get_documents,
    list_documents,
)

__all__ = ["Document", "apply_pages", "get_document", "get_documents", "list_documents"]
