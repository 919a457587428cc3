"""The audit trail: who called which guarded operation, with what, when, from where, and whether it was allowed."""

from core.audit.models import AuditEntry, AuditFilters, AuditPage, AuditRecord
from core.audit.service import list_entries, record, redact

__all__ = ["AuditEntry", "AuditFilters", "AuditPage", "AuditRecord", "list_entries", "record", "redact"]
