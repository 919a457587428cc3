"""Site monitoring (一网通管): inventory, the 2019 national inspection rules, findings, alerts and reports."""

from core.clock import Clock, local_date, system_clock
from core.monitoring.inventory import compare_sites, site_inventory, update_trend
from core.monitoring.models import Finding, LinkCheck, Probe, RuleScore, Scorecard, WrongExpression
from core.monitoring.service import (
    delete_wrong_expression,
    inspect,
    inspect_and_alert,
    latest_scorecard,
    links_to_check,
    list_wrong_expressions,
    put_wrong_expression,
    record_link_checks,
    record_probe,
    set_column_type,
)
from core.monitoring.store import list_findings
from core.monitoring.thresholds import RULES, Threshold, list_thresholds, set_threshold

__all__ = [
    "RULES",
    "Clock",
    "Finding",
    "LinkCheck",
    "Probe",
    "RuleScore",
    "Scorecard",
    "Threshold",
    "WrongExpression",
    "compare_sites",
    "delete_wrong_expression",
    "inspect",
    "inspect_and_alert",
    "latest_scorecard",
    "links_to_check",
    "list_findings",
    "list_thresholds",
    "list_wrong_expressions",
    "local_date",
    "put_wrong_expression",
    "record_link_checks",
    "record_probe",
    "set_column_type",
    "set_threshold",
    "site_inventory",
    "system_clock",
    "update_trend",
]
