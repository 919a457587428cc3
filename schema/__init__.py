"""The single GraphQL schema, composed from one module per domain."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from core.settings import Settings
from schema.analytics import AnalyticsQuery, AnalyticsSubscription
from schema.analytics_content import ContentAnalyticsQuery
from schema.audit import AuditQuery
from schema.backbone import BackboneMutation, BackboneQuery, BackboneSubscription
from schema.cost import QueryCost
from schema.disclosure import DisclosureQuery
from schema.disclosure_mutations import DisclosureMutation, DisclosureSubscription
from schema.disclosure_requests import DisclosureRequestMutation, DisclosureRequestQuery
from schema.disclosure_residents import DisclosureResidentMutation
from schema.engagement_consultations import ConsultationMutation, ConsultationQuery
from schema.engagement_tv import TvMutation, TvQuery
from schema.errors import CodedErrors, CodedSchema
from schema.halls import HallsQuery
from schema.letters_public import PublishedLetterQuery
from schema.lookups import LookupsQuery
from schema.monitoring import MonitoringMutation, MonitoringQuery, MonitoringSubscription
from schema.opendata import OpenDataMutation, OpenDataQuery
from schema.opendata_interaction import OpenDataInteractionMutation, OpenDataInteractionQuery
from schema.policy import PolicyMutation, PolicyQuery
from schema.qa import QaMutation, QaQuery
from schema.qa_browse import QaBrowseQuery
from schema.qa_graph import QaGraphQuery
from schema.search import SearchMutation, SearchQuery
from schema.subscriptions import LiveExecutor, SubscriptionCaps
from schema.text_input import NoNulText
from schema.userspace import UserSpaceMutation, UserSpaceQuery, UserSpaceSubscription


@strawberry.type(description="Read the platform")
class Query(
    BackboneQuery,
    AnalyticsQuery,
    ContentAnalyticsQuery,
    SearchQuery,
    MonitoringQuery,
    QaQuery,
    QaBrowseQuery,
    QaGraphQuery,
    LookupsQuery,
    PolicyQuery,
    UserSpaceQuery,
    PublishedLetterQuery,
    HallsQuery,
    AuditQuery,
    DisclosureQuery,
    DisclosureRequestQuery,
    OpenDataQuery,
    OpenDataInteractionQuery,
    TvQuery,
    ConsultationQuery,
):
    pass


@strawberry.type(description="Change the platform")
class Mutation(
    BackboneMutation,
    SearchMutation,
    MonitoringMutation,
    QaMutation,
    PolicyMutation,
    UserSpaceMutation,
    DisclosureMutation,
    DisclosureRequestMutation,
    DisclosureResidentMutation,
    OpenDataMutation,
    OpenDataInteractionMutation,
    TvMutation,
    ConsultationMutation,
):
    pass


@strawberry.type(description="Live updates, delivered from NATS by any API replica")
class Subscription(
    BackboneSubscription,
    AnalyticsSubscription,
    MonitoringSubscription,
    UserSpaceSubscription,
    DisclosureSubscription,
):
    pass


QUERY_CACHE_SIZE = 512  # distinct query documents whose parse and validation are kept


@functools.cache
def _limit_rules(max_depth: int, max_aliases: int) -> tuple[type[ASTValidationRule], ...]:
    return (depth_rule(max_depth, None, None), alias_rule(max_aliases))


class CachedParse(ParserCache):
    """strawberry's parser cache, except that a document that does not parse is left to strawberry's own
    parse, which reports the syntax error as a coded GraphQL error (raised here, it would escape)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


class QueryLimits(AddValidationRules):
    """The depth and alias limits. Their rule classes are made once per limit, not per request, so the
    validation of a query document frontends send again and again is cached (`ValidationCache` keys on
    the rules): about 4 ms of every request."""

    def __init__(self, max_depth: int, max_aliases: int) -> None:
        super().__init__(list(_limit_rules(max_depth, max_aliases)))


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return CodedSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=LiveExecutor,
        # The token limit and the limits' rules are set when the operation starts, before any parse or
        # validation: the parser cache keys on the token limit, the validation cache on the rules.
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            lambda: CachedParse(maxsize=QUERY_CACHE_SIZE),
            lambda: QueryLimits(settings.max_query_depth, settings.max_query_aliases),
            lambda: ValidationCache(maxsize=QUERY_CACHE_SIZE),
            lambda: QueryCost(settings.max_query_cost),
            NoNulText,
            lambda: SubscriptionCaps(settings.max_subscriptions_per_connection, settings.max_subscriptions_per_client),
            CodedErrors,
            *([] if settings.graphql_introspection else [DisableIntrospection]),  # GRAPHQL_INTROSPECTION=false
        ],
    )
