"""Analytics (一网通管): what the public searches and reads, hot words of new content, the audience by day."""

from core.analytics.aggregate import Activity, Applied, apply_events, decode_activity, prune_event_keys
from core.analytics.audience import top_documents, visitor_stats
from core.analytics.content import apply_documents, prune_content
from core.analytics.hot_words import content_hot_words
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
from core.analytics.records import DocumentRef, HotWord, ProvinceCount, TopDocument, TopKind, VisitorDay, VisitorStats
from core.analytics.service import hot_queries, query_trend, rising_queries, search_stats, zero_result_queries
from core.analytics.visits import (
    Salts,
    View,
    ViewWriter,
    count_click_views,
    find_document,
    is_bot,
    prune_visits,
    record_view,
    visitor_hash,
)

__all__ = [
    "MAX_LIMIT",
    "Activity",
    "Applied",
    "DocumentRef",
    "HotWord",
    "ProvinceCount",
    "QueryCount",
    "RisingQuery",
    "Salts",
    "SearchStats",
    "SourceStats",
    "TopDocument",
    "TopKind",
    "TrendPoint",
    "View",
    "ViewWriter",
    "VisitorDay",
    "VisitorStats",
    "Window",
    "apply_documents",
    "apply_events",
    "check_limit",
    "content_hot_words",
    "count_click_views",
    "decode_activity",
    "find_document",
    "hot_queries",
    "hot_query_feed",
    "is_bot",
    "normalize_query",
    "prune_content",
    "prune_event_keys",
    "prune_visits",
    "query_trend",
    "record_view",
    "rising_queries",
    "search_stats",
    "top_documents",
    "visitor_hash",
    "visitor_stats",
    "zero_result_queries",
]
