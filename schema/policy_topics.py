"""专题 (special topics) over GraphQL: `topics`, `topic(slug)` with its policies, and the admin's mutations."""

from __future__ import annotations

import strawberry

from core.policy import topics
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN
from schema.policy_types import Policy

Info = strawberry.Info[Context, None]


@strawberry.type(description="What collects policies into a topic by itself; every part given must hold")
class TopicRule:
    keywords: list[str] = strawberry.field(description="Any of these words in the policy's title")
    theme: str | None = strawberry.field(description="主题分类: a full label or its top level")
    issuer: str | None = strawberry.field(description="One of the policy's issuers")


@strawberry.input(
    description=(
        "A topic's rule; an empty rule collects nothing (hand-picked policies only). An empty keyword or theme, or "
        "a theme that is neither a 主题分类 label nor one of the library's policies' themes, is BAD_INPUT"
    )
)
class TopicRuleInput:
    keywords: list[str] = strawberry.field(default_factory=list)
    theme: str | None = None
    issuer: str | None = None

    def to_core(self) -> topics.TopicRule:
        return topics.TopicRule(keywords=tuple(self.keywords), theme=self.theme, issuer=self.issuer)


@strawberry.input(description="What an admin writes about a topic; on update, a field left out stays as it is")
class TopicInput:
    name: str | None = None
    description: str | None = None
    cover_text: str | None = None
    rule: TopicRuleInput | None = strawberry.field(default=None, description="Replaces the rule and recollects")

    def to_core(self) -> topics.TopicFields:
        return topics.TopicFields(
            name=self.name,
            description=self.description,
            cover_text=self.cover_text,
            rule=self.rule.to_core() if self.rule is not None else None,
        )


@strawberry.type(description="A page of a topic's policies: the admin's picks in order, then the newest")
class TopicPolicyPage:
    items: list[Policy]
    total: int
    page: int
    page_size: int


@strawberry.type(description="A 专题: a collection of policies on one subject, for a portal's special-topic page")
class Topic:
    id: strawberry.ID
    slug: str
    name: str
    description: str
    cover_text: str
    rule: TopicRule
    policy_count: int

    @classmethod
    def of(cls, t: topics.Topic) -> Topic:
        return cls(
            id=strawberry.ID(t.id),
            slug=t.slug,
            name=t.name,
            description=t.description,
            cover_text=t.cover_text,
            rule=TopicRule(keywords=list(t.rule.keywords), theme=t.rule.theme, issuer=t.rule.issuer),
            policy_count=t.policy_count,
        )

    @strawberry.field(description="The topic's policies (reprints once)")
    async def policies(self, info: Info, page: int = 1, page_size: int = 20) -> TopicPolicyPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await topics.topic_policies(info.context.pool, self.slug, offset=offset, limit=limit)
        return TopicPolicyPage(
            items=[Policy.of(p) for p in found.items], total=found.total, page=page, page_size=page_size
        )


@strawberry.type(description="A page of topics, oldest first")
class TopicPage:
    items: list[Topic]
    total: int
    page: int
    page_size: int


@strawberry.type
class TopicQuery:
    @strawberry.field(description="Every 专题, oldest first, with how many policies each holds")
    async def topics(self, info: Info, page: int = 1, page_size: int = 20) -> TopicPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        items, total = await topics.list_topics(info.context.pool, offset=offset, limit=limit)
        return TopicPage(items=[Topic.of(t) for t in items], total=total, page=page, page_size=page_size)

    @strawberry.field(description="One 专题 by its slug (NOT_FOUND when there is none)")
    async def topic(self, info: Info, slug: str) -> Topic:
        return Topic.of(await topics.get_topic(info.context.pool, slug))


@strawberry.type
class TopicMutation:
    @strawberry.mutation(permission_classes=ADMIN, description="Create a 专题; its rule collects policies at once")
    async def create_topic(self, info: Info, slug: str, topic: TopicInput) -> Topic:
        return Topic.of(await topics.create_topic(info.context.pool, slug=slug, fields=topic.to_core()))

    @strawberry.mutation(permission_classes=ADMIN, description="Change a 专题's texts or rule (a new rule recollects)")
    async def update_topic(self, info: Info, slug: str, topic: TopicInput) -> Topic:
        return Topic.of(await topics.update_topic(info.context.pool, slug=slug, fields=topic.to_core()))

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Put a policy in a 专题 whatever its rule says, at a position (else after the other picks)",
    )
    async def add_to_topic(self, info: Info, slug: str, policy_id: strawberry.ID, position: int | None = None) -> Topic:
        found = await topics.pick(info.context.pool, slug=slug, policy_id=str(policy_id), add=True, position=position)
        return Topic.of(found)

    @strawberry.mutation(permission_classes=ADMIN, description="Take a policy out of a 专题, rule or not")
    async def remove_from_topic(self, info: Info, slug: str, policy_id: strawberry.ID) -> Topic:
        return Topic.of(await topics.pick(info.context.pool, slug=slug, policy_id=str(policy_id), add=False))
