"""Q&A (一网通答): a knowledge base of question-answer pairs that cite their basis, and the `ask` service."""

from core.qa.answerer import KnowledgeBase
from core.qa.models import HOTLINE, Basis, Link, Option, QaPair, Reply, SessionContext
from core.qa.service import QaService

__all__ = ["HOTLINE", "Basis", "KnowledgeBase", "Link", "Option", "QaPair", "QaService", "Reply", "SessionContext"]
