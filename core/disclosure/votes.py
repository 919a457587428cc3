"""Democratic votes and evaluations (民主评议) of a unit: one ballot per real-name person (the database's key on
vote and person enforces it), counted per option; a ballot cannot be changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from core.disclosure import store
from core.disclosure.hierarchy import check_code
from core.disclosure.items import text_field
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.identity.principal import Principal

REAL_NAME_LEVEL = 2  # 实名认证 at level 2 or above: one person, one ballot
MAX_OPTIONS = 20
MAX_OPEN = timedelta(days=366)
VOTE_COLUMNS = "id, unit_code, title, options, opens_at, closes_at"
RESULTS = """select v.id, v.unit_code, v.title, v.options, v.opens_at, v.closes_at,
    coalesce((select array_agg(n order by i) from (
        select i, (select count(*) from disclosure_ballots b where b.vote_id = v.id and b.choice = i) as n
        from generate_subscripts(v.options, 1) as i) counted), '{}') as counts
    from disclosure_votes v where v.id = $1"""


@dataclass(frozen=True, kw_only=True)
class Vote:
    """A vote and its count so far."""

    id: UUID
    unit_code: str
    title: str
    options: list[str]
    opens_at: datetime
    closes_at: datetime
    counts: list[int]

    def open_at(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


async def create_vote(
    *, pool: asyncpg.Pool, unit: str, title: str, options: list[str], closes_at: datetime, by: str, now: datetime
) -> Vote:
    """Open a vote of the unit now, until `closes_at`."""
    code = check_code(unit)
    choices = [text_field("option", o, 100) for o in options]
    if not 2 <= len(choices) <= MAX_OPTIONS or len(set(choices)) != len(choices):
        raise Invalid(f"a vote needs 2-{MAX_OPTIONS} different options")
    if closes_at.tzinfo is None:
        raise Invalid(f"closesAt {closes_at.isoformat()} needs its time zone, as in 2027-01-01T00:00:00+08:00")
    if closes_at - now > MAX_OPEN:
        raise Invalid(
            f"closesAt {closes_at.isoformat()} is more than {MAX_OPEN.days} days away: a vote closes within a year"
        )
    if closes_at <= now:
        raise Invalid("closesAt must be in the future")
    if await store.get_unit(pool, code) is None:
        raise NotFound(f"no unit with code {code}")
    vote_id = await pool.fetchval(
        """insert into disclosure_votes (unit_code, title, options, opens_at, closes_at, created_by)
           values ($1, $2, $3, $4, $5, $6) returning id""",
        code,
        text_field("title", title, 200),
        choices,
        now,
        closes_at,
        by,
    )
    return await get_vote(pool=pool, vote_id=vote_id)


async def get_vote(*, pool: asyncpg.Pool, vote_id: UUID) -> Vote:
    row = await pool.fetchrow(RESULTS, vote_id)
    if row is None:
        raise NotFound(f"no vote with id {vote_id}")
    return Vote(**{**dict(row), "counts": [int(n) for n in row["counts"]]})


async def cast_ballot(*, pool: asyncpg.Pool, principal: Principal, vote_id: UUID, option: str, now: datetime) -> Vote:
    """One ballot of a signed-in person verified to REAL_NAME_LEVEL, while the vote is open."""
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to vote")
    if principal.real_name_level < REAL_NAME_LEVEL:
        raise Forbidden(
            f"voting needs real-name level {REAL_NAME_LEVEL}; your account is at level "
            f"{principal.real_name_level}: verify your identity (实名认证) first"
        )
    vote = await get_vote(pool=pool, vote_id=vote_id)
    if not vote.open_at(now):
        raise Conflict(f"vote {vote_id} is open from {vote.opens_at} to {vote.closes_at}, not now")
    if option not in vote.options:
        raise Invalid(f"option must be one of {' / '.join(vote.options)}")
    inserted = await pool.fetchval(
        """insert into disclosure_ballots (vote_id, user_id, choice, cast_at) values ($1, $2, $3, $4)
           on conflict (vote_id, user_id) do nothing returning vote_id""",
        vote_id,
        principal.user_id,
        vote.options.index(option) + 1,
        now,
    )
    if inserted is None:
        raise Conflict(f"{principal.username} has voted in vote {vote_id} already: one ballot per person")
    return await get_vote(pool=pool, vote_id=vote_id)
