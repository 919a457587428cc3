"""Policy library (文件库): 文号, issuers, dates, validity, audience, theme, reprints, and what explains each policy."""

from core.policy.derive import VALIDITIES, PolicyRecord, derive
from core.policy.queries import Filters, Policy, PolicyPage, PolicyQa, Related
from core.policy.service import ThemeClassifier, apply_document, apply_documents

__all__ = [
    "VALIDITIES",
    "Filters",
    "Policy",
    "PolicyPage",
    "PolicyQa",
    "PolicyRecord",
    "Related",
    "ThemeClassifier",
    "apply_document",
    "apply_documents",
    "derive",
]
