"""Personal lookups for 一网通答: the signed-in user's housing fund, medical and pension records from a connector."""

from core.lookups.connector import DemoConnector, PersonalRecordsConnector
from core.lookups.models import KINDS, Holder, PersonalAnswer, PersonalRecord, RecordEntry, RecordKind
from core.lookups.service import PersonalLookups

__all__ = [
    "KINDS",
    "DemoConnector",
    "Holder",
    "PersonalAnswer",
    "PersonalLookups",
    "PersonalRecord",
    "PersonalRecordsConnector",
    "RecordEntry",
    "RecordKind",
]
