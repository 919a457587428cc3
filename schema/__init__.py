"""The single GraphQL schema, composed from one module per domain."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from core.settings import Settings
from schema.analytics import AnalyticsQuery, AnalyticsSubscription
from schema.backbone import BackboneMutation, BackboneQuery, BackboneSubscription
from schema.errors import CodedErrors
from schema.monitoring import MonitoringMutation, MonitoringQuery, MonitoringSubscription
from schema.policy import PolicyMutation, PolicyQuery
from schema.qa import QaMutation, QaQuery
from schema.search import SearchMutation, SearchQuery


@strawberry.type(description="Read the platform")
class Query(BackboneQuery, AnalyticsQuery, SearchQuery, MonitoringQuery, QaQuery, PolicyQuery):
    pass


@strawberry.type(description="Change the platform")
class Mutation(BackboneMutation, SearchMutation, MonitoringMutation, QaMutation, PolicyMutation):
    pass


@strawberry.type(description="Live updates, delivered from NATS by any API replica")
class Subscription(BackboneSubscription, AnalyticsSubscription, MonitoringSubscription):
    pass


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_query_aliases),
            CodedErrors,
        ],
    )
