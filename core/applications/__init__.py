"""Applications (办事进度): progress the service platform reports through a connector, newest step kept."""

from core.applications.connector import ApplicationSource, forward
from core.applications.models import STAGES, Application, ApplicationPage, Step
from core.applications.service import apply_updates, get_application, list_applications

__all__ = [
    "STAGES",
    "Application",
    "ApplicationPage",
    "ApplicationSource",
    "Step",
    "apply_updates",
    "forward",
    "get_application",
    "list_applications",
]
