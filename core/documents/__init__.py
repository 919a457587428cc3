"""Documents: every page, file and record of the group, as stored in Postgres (the truth)."""

from core.documents.canonical import set_canonical_ids
from core.documents.reads import change_of, changed_since, current_changes, document_exists, stored_hashes
from core.documents.reprojections import drain_reprojections, queue_reprojections
from core.documents.service import (
    Document,
    apply_pages,
    get_document,
    get_documents,
    list_documents,
)

__all__ = [
    "Document",
    "apply_pages",
    "change_of",
    "changed_since",
    "current_changes",
    "document_exists",
    "drain_reprojections",
    "get_document",
    "get_documents",
    "list_documents",
    "queue_reprojections",
    "set_canonical_ids",
    "stored_hashes",
]
