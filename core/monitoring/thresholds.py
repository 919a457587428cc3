"""The rule registry and thresholds: defaults in each rule, admin changes stored in monitor_thresholds."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from core.errors import Invalid
from core.monitoring.commitment_rules import TvCommitmentOverdue
from core.monitoring.content_rules import (
    BlankColumns,
    ColumnsIdle,
    ColumnsLongIdle,
    UnansweredLetters,
    WrongExpressions,
)
from core.monitoring.feature_rules import DataQuality, DisclosureStale
from core.monitoring.link_rules import HomepageBrokenLinks, PageBrokenLinks
from core.monitoring.rules import HomepageStale, Rule, SiteUnreachable

RULES: tuple[Rule, ...] = (
    SiteUnreachable(),
    HomepageStale(),
    ColumnsIdle(),
    ColumnsLongIdle(),
    BlankColumns(),
    HomepageBrokenLinks(),
    PageBrokenLinks(),
    WrongExpressions(),
    UnansweredLetters(),
    DataQuality(),
    DisclosureStale(),
    TvCommitmentOverdue(),
)
RULES_BY_NAME = {r.name: r for r in RULES}
MAX_VALUE = 1_000_000.0


@dataclass(frozen=True)
class Threshold:
    """One configurable number of a rule: its current value and its default."""

    rule: str
    name: str
    value: float
    default: float


def rule(name: str) -> Rule:
    try:
        return RULES_BY_NAME[name]
    except KeyError:
        raise Invalid(f"no rule {name!r}; rules are {', '.join(RULES_BY_NAME)}") from None


async def load_overrides(pool: asyncpg.Pool | asyncpg.Connection) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in await pool.fetch("select rule, name, value from monitor_thresholds"):
        out.setdefault(r["rule"], {})[r["name"]] = float(r["value"])
    return out


async def list_thresholds(pool: asyncpg.Pool) -> list[Threshold]:
    overrides = await load_overrides(pool)
    return [
        Threshold(r.name, name, r.settings(overrides.get(r.name, {}))[name], default)
        for r in RULES
        for name, default in r.defaults.items()
    ]


async def set_threshold(pool: asyncpg.Pool, *, rule_name: str, name: str, value: float | None) -> Threshold:
    """Set one threshold; None restores the default."""
    r = rule(rule_name)
    if name not in r.defaults:
        raise Invalid(f"rule {rule_name} has no threshold {name!r}; it has {', '.join(r.defaults)}")
    if value is not None and not (0 <= value <= MAX_VALUE):
        raise Invalid(f"{rule_name}.{name} must be between 0 and {MAX_VALUE:g}, not {value}")
    if value is not None and name.endswith("ratio") and value > 1:
        raise Invalid(f"{rule_name}.{name} is a ratio between 0 and 1, not {value}")
    if value is None:
        await pool.execute("delete from monitor_thresholds where rule = $1 and name = $2", rule_name, name)
    else:
        await pool.execute(
            """insert into monitor_thresholds (rule, name, value) values ($1, $2, $3)
               on conflict (rule, name) do update set value = excluded.value, updated_at = now()""",
            rule_name,
            name,
            value,
        )
    default = r.defaults[name]
    return Threshold(rule_name, name, default if value is None else value, default)
