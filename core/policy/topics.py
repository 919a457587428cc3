"""专题 (special topics): admin-written collections of policies, filled by a rule and by hand-picked additions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from core.errors import Conflict, Invalid, NotFound
from core.policy.queries import POLICY_SELECT, Policy, check_id, policy_row
from core.policy.taxonomy import THEMES, all_labels, normalize_theme

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_KEYWORDS = 20
MAX_KEYWORD = 30
MAX_NAME = 100
MAX_TEXT = 4000
_LABELS = frozenset(all_labels())

# A topic's members as canonical policies (a reprint stands for its cluster): what the rule matches and what
# the admin added, less what the admin removed (any copy removed removes the cluster).
MEMBERS = """
select c.topic_id, p.canonical_id as policy_id, min(c.position) as position
from (select topic_id, policy_id, null::integer as position from policy_topic_matches
      union all
      select topic_id, policy_id, position from policy_topic_picks where action = 'add') c
join policies p on p.document_id = c.policy_id
where not exists (
    select 1 from policy_topic_picks r join policies rp on rp.document_id = r.policy_id
    where r.topic_id = c.topic_id and r.action = 'remove' and rp.canonical_id = p.canonical_id)
group by c.topic_id, p.canonical_id
"""
# Whether policy p meets topic t's rule: every part given holds (any keyword in the title); no rule, no match.
_RULE = """(cardinality(t.rule_keywords) > 0 or t.rule_theme is not null or t.rule_issuer is not null)
    and (cardinality(t.rule_keywords) = 0
         or exists (select 1 from unnest(t.rule_keywords) k where strpos(p.title, k) > 0))
    and (t.rule_theme is null or p.theme = t.rule_theme or p.theme_top = t.rule_theme)
    and (t.rule_issuer is null or t.rule_issuer = any(p.issuers))"""
_TOPIC = (
    """select t.id::text, t.slug, t.name, t.description, t.cover_text, t.rule_keywords, t.rule_theme,
    t.rule_issuer, (select count(*) from ("""
    + MEMBERS
    + """) m where m.topic_id = t.id) as policy_count
    from policy_topics t"""
)


@dataclass(frozen=True, kw_only=True)
class TopicRule:
    """What collects policies into a topic by itself: a title keyword (any), a theme, an issuer (all given)."""

    keywords: tuple[str, ...] = ()
    theme: str | None = None
    issuer: str | None = None


@dataclass(frozen=True, kw_only=True)
class TopicFields:
    """What an admin writes about a topic; None leaves a field as it is (on update)."""

    name: str | None = None
    description: str | None = None
    cover_text: str | None = None
    rule: TopicRule | None = None


@dataclass(frozen=True, kw_only=True)
class Topic:
    """A 专题 and how many policies it holds now."""

    id: str
    slug: str
    name: str
    description: str
    cover_text: str
    rule: TopicRule
    policy_count: int


@dataclass
class TopicPolicies:
    """A page of a topic's policies: the admin's order first, then the newest."""

    items: list[Policy]
    total: int


def _topic(r: asyncpg.Record) -> Topic:
    rule = TopicRule(keywords=tuple(r["rule_keywords"]), theme=r["rule_theme"], issuer=r["rule_issuer"])
    return Topic(
        id=r["id"],
        slug=r["slug"],
        name=r["name"],
        description=r["description"],
        cover_text=r["cover_text"],
        rule=rule,
        policy_count=int(r["policy_count"]),
    )


def check_rule(rule: TopicRule) -> TopicRule:
    """The rule cleaned (keywords stripped and deduplicated, theme in gov.cn form), or Invalid. An empty keyword is
    refused rather than dropped: the admin meant a word, and the rule would silently collect something else."""
    for k in rule.keywords:
        if not k.strip():
            raise Invalid(f"topic rule keyword {k!r} is empty: give a word of the titles to collect, or no keyword")
    keywords = tuple(dict.fromkeys(k.strip() for k in rule.keywords))
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD for k in keywords):
        raise Invalid(f"a topic rule has at most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters")
    if rule.theme is not None and not rule.theme.strip():
        raise Invalid(f"topic rule theme {rule.theme!r} is empty: give a 主题分类 label, or no theme")
    issuer = (rule.issuer or "").strip() or None
    return TopicRule(keywords=keywords, theme=normalize_theme(rule.theme), issuer=issuer)


async def check_theme(conn: asyncpg.Pool | asyncpg.Connection, theme: str | None) -> None:
    """Invalid for a theme that is neither a 主题分类 label (a top level, or top\\second) nor one the library's
    policies have (a site's own label): a rule naming it would collect nothing, and the admin would not know why."""
    if theme is None or theme in THEMES or theme in _LABELS:
        return
    if await conn.fetchval("select true from policies where theme = $1 or theme_top = $1 limit 1", theme):
        return
    raise Invalid(
        f"unknown theme {theme!r}: use a 主题分类 label such as 民政、扶贫、救灾 or 民政、扶贫、救灾\\社会福利, "
        "or a theme the library's policies have"
    )


def _check_fields(f: TopicFields, *, creating: bool) -> None:
    if f.name is not None and not 0 < len(f.name.strip()) <= MAX_NAME:
        raise Invalid(f"name must have 1 to {MAX_NAME} characters")
    if creating and f.name is None:
        raise Invalid("a topic needs a name")
    for label, text in (("description", f.description), ("coverText", f.cover_text)):
        if text is not None and len(text) > MAX_TEXT:
            raise Invalid(f"{label} must have at most {MAX_TEXT} characters")


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(f"slug must be lowercase letters, digits and hyphens (1-63, not starting with -), not {slug!r}")
    return slug


async def get_topic(pool: asyncpg.Pool, slug: str) -> Topic:
    row = await pool.fetchrow(_TOPIC + " where t.slug = $1", slug)
    if row is None:
        raise NotFound(f"no topic with slug {slug!r}")
    return _topic(row)


async def list_topics(pool: asyncpg.Pool, *, offset: int = 0, limit: int = 20) -> tuple[list[Topic], int]:
    """A page of topics and how many there are, read in one snapshot: a topic created between the two statements is
    in both or in neither."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(_TOPIC + " order by t.created_at, t.slug offset $1 limit $2", offset, limit)
        total = await conn.fetchval("select count(*) from policy_topics")
    return [_topic(r) for r in rows], int(total)


async def topic_id(pool: asyncpg.Pool | asyncpg.Connection, slug: str) -> str:
    found = await pool.fetchval("select id::text from policy_topics where slug = $1", slug)
    if found is None:
        raise NotFound(f"no topic with slug {slug!r}")
    return str(found)


async def rematch_topic(conn: asyncpg.Connection, tid: str) -> None:
    """Replace what a topic's rule collects (after the rule changed)."""
    await conn.execute("delete from policy_topic_matches where topic_id = $1::uuid", tid)
    await conn.execute(
        f"""insert into policy_topic_matches (topic_id, policy_id)
            select t.id, p.document_id from policy_topics t, policies p where t.id = $1::uuid and {_RULE}""",
        tid,
    )


async def match_policy(conn: asyncpg.Connection, policy_id: str) -> None:
    """Replace the topics a policy's record matches (after the record changed)."""
    await conn.execute("delete from policy_topic_matches where policy_id = $1::uuid", policy_id)
    await conn.execute(
        f"""insert into policy_topic_matches (topic_id, policy_id)
            select t.id, p.document_id from policies p, policy_topics t where p.document_id = $1::uuid and {_RULE}""",
        policy_id,
    )


async def create_topic(pool: asyncpg.Pool, *, slug: str, fields: TopicFields) -> Topic:
    """A new topic; its rule collects the policies already in the library at once."""
    check_slug(slug)
    _check_fields(fields, creating=True)
    rule = check_rule(fields.rule or TopicRule())
    await check_theme(pool, rule.theme)
    async with pool.acquire() as conn, conn.transaction():
        try:
            tid = await conn.fetchval(
                """insert into policy_topics (slug, name, description, cover_text, rule_keywords, rule_theme,
                       rule_issuer) values ($1, $2, $3, $4, $5, $6, $7) returning id::text""",
                slug,
                (fields.name or "").strip(),
                fields.description or "",
                fields.cover_text or "",
                list(rule.keywords),
                rule.theme,
                rule.issuer,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(f"a topic with slug {slug!r} exists already") from None
        await rematch_topic(conn, tid)
    return await get_topic(pool, slug)


async def update_topic(pool: asyncpg.Pool, *, slug: str, fields: TopicFields) -> Topic:
    """Change what is given; a new rule (even an empty one) replaces the old and recollects."""
    _check_fields(fields, creating=False)
    rule = check_rule(fields.rule) if fields.rule is not None else None
    await check_theme(pool, rule.theme if rule is not None else None)
    async with pool.acquire() as conn, conn.transaction():
        tid = await topic_id(conn, slug)
        await conn.execute(
            """update policy_topics set name = coalesce($2, name), description = coalesce($3, description),
                   cover_text = coalesce($4, cover_text), updated_at = now() where id = $1::uuid""",
            tid,
            fields.name.strip() if fields.name is not None else None,
            fields.description,
            fields.cover_text,
        )
        if rule is not None:
            await conn.execute(
                """update policy_topics set rule_keywords = $2, rule_theme = $3, rule_issuer = $4
                   where id = $1::uuid""",
                tid,
                list(rule.keywords),
                rule.theme,
                rule.issuer,
            )
            await rematch_topic(conn, tid)
    return await get_topic(pool, slug)


async def pick(pool: asyncpg.Pool, *, slug: str, policy_id: str, add: bool, position: int | None = None) -> Topic:
    """Add a policy to a topic (at `position`, else after the other picks) or remove it, whatever the rule says."""
    if position is not None and not 0 <= position <= 100_000:
        raise Invalid("position must be between 0 and 100000")
    policy_id = check_id(policy_id, "policyId")
    tid = await topic_id(pool, slug)
    if not await pool.fetchval("select 1 from policies where document_id = $1::uuid", policy_id):
        raise NotFound(f"no policy with id {policy_id!r}")
    if add and position is None:
        position = await pool.fetchval(
            "select coalesce(max(position) + 1, 0) from policy_topic_picks where topic_id = $1::uuid", tid
        )
    await pool.execute(
        """insert into policy_topic_picks (topic_id, policy_id, action, position) values ($1::uuid, $2::uuid, $3, $4)
           on conflict (topic_id, policy_id) do update set action = excluded.action, position = excluded.position,
               updated_at = now()""",
        tid,
        policy_id,
        "add" if add else "remove",
        position if add else None,
    )
    return await get_topic(pool, slug)


async def topic_policies(pool: asyncpg.Pool, slug: str, *, offset: int = 0, limit: int = 20) -> TopicPolicies:
    """A topic's canonical policies: the admin's picks in their order, then the rule's, newest first. The page and
    the total are read in one snapshot, as the library keeps matching new policies to topics between them."""
    joined = POLICY_SELECT + f" join ({MEMBERS}) m on m.policy_id = p.document_id where m.topic_id = $1::uuid"
    order = " order by m.position nulls last, p.published_date desc nulls last, p.document_id offset $2 limit $3"
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        tid = await topic_id(conn, slug)
        rows = await conn.fetch(joined + order, tid, offset, limit)
        total = await conn.fetchval(f"select count(*) from ({MEMBERS}) m where m.topic_id = $1::uuid", tid)
    return TopicPolicies([policy_row(r) for r in rows], int(total))
