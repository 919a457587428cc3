"""Search analytics (一网通管): what the public searches, counted hourly from search and click events."""

from core.analytics.aggregate import Activity, Applied, apply_events, decode_activity, prune_event_keys
from core.analytics.live import hot_query_feed
from core.analytics.models import (
    MAX_LIMIT,
    QueryCount,
    RisingQuery,
    SearchStats,
    SourceStats,
    TrendPoint,
    Window,
    check_limit,
    normalize_query,
)
from core.analytics.service import hot_queries, query_trend, rising_queries, search_stats, zero_result_queries

__all__ = [
    "MAX_LIMIT",
    "Activity",
    "Applied",
    "QueryCount",
    "RisingQuery",
    "SearchStats",
    "SourceStats",
    "TrendPoint",
    "Window",
    "apply_events",
    "check_limit",
    "decode_activity",
    "hot_queries",
    "hot_query_feed",
    "normalize_query",
    "prune_event_keys",
    "query_trend",
    "rising_queries",
    "search_stats",
    "zero_result_queries",
]
