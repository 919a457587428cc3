"""Every table has one owning package: only its modules name it in SQL; others call the owner or read its views."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "core" / "migrations"
SCANNED = ("core", "scrapers", "api", "workers", "schema", "ops")
SKIPPED = ("ops/bench", "ops/chaos")  # run by hand; the fault campaign checks the owners' tables from outside

# The crawl tables belong to the crawler, which spans two layers: its bookkeeping (core.crawls, which the
# scheduler and the schema call) and the crawling itself (scrapers).
CRAWLER = ("core.crawls", "scrapers")
OWNERS: dict[str, tuple[str, ...]] = {
    "sites": ("core.sites",),
    "site_columns": ("core.sites",),
    "documents": ("core.documents",),
    "links": ("core.documents",),
    "document_reprojections": ("core.documents",),
    "crawls": CRAWLER,
    "crawl_urls": CRAWLER,
    "crawl_host_slots": CRAWLER,
    "fetch_log": CRAWLER,
    "feed_validators": CRAWLER,
    "job_runs": ("core.monitoring",),
    "search_pins": ("core.search",),
    "search_synonyms": ("core.search",),
    "search_query_counts": ("core.search",),  # 0004; dropped by 0013
    "search_query_clients": ("core.search",),
    "search_query_days": ("core.search",),
    "search_suggestion_blocks": ("core.search",),
    "search_click_budget": ("core.search",),
    "analytics_hourly": ("core.analytics",),
    "analytics_searches": ("core.analytics",),
    "analytics_clicks": ("core.analytics",),
    "analytics_doc_terms": ("core.analytics",),  # 0021, issue 18: hot words, page views, audience
    "analytics_term_days": ("core.analytics",),
    "analytics_site_days": ("core.analytics",),
    "analytics_salts": ("core.analytics",),
    "analytics_page_days": ("core.analytics",),
    "analytics_view_keys": ("core.analytics",),
    "analytics_visitor_keys": ("core.analytics",),
    "analytics_audience": ("core.analytics",),
    "monitor_thresholds": ("core.monitoring",),
    "monitor_probes": ("core.monitoring",),
    "link_checks": ("core.monitoring",),
    "wrong_expressions": ("core.monitoring",),
    "findings": ("core.monitoring",),
    "inspections": ("core.monitoring",),
    "qa_state": ("core.qa",),
    "qa_pairs": ("core.qa",),
    "qa_sessions": ("core.qa",),
    "qa_sync_runs": ("core.qa",),  # 0024: the 12345 hotline knowledge-base syncs (CONNECT)
    "qa_graph_state": ("core.qa",),  # 0023, issue 18: the service knowledge graph
    "qa_graph_nodes": ("core.qa",),
    "qa_graph_edges": ("core.qa",),
    "policies": ("core.policy",),
    "policy_doc_nos": ("core.policy",),
    "policy_mentions": ("core.policy",),
    "policy_link_overrides": ("core.policy",),
    # 0025, issue 18: 专题, each site's 解读与回应 section, what a policy replaces
    "policy_topics": ("core.policy",),
    "policy_topic_matches": ("core.policy",),
    "policy_topic_picks": ("core.policy",),
    "policy_explainers": ("core.policy",),
    "policy_replaces": ("core.policy",),
    "audit_trail": ("core.audit",),  # 0016, issue 13: written from schema.permissions through core.audit
    # identity (0014, issue 13): accounts, roles, the OpenID Connect provider's state
    "identity_users": ("core.identity",),
    "identity_agents": ("core.identity",),
    "identity_roles": ("core.identity",),
    "identity_clients": ("core.identity",),
    "identity_sessions": ("core.identity",),
    "identity_session_clients": ("core.identity",),
    "identity_codes": ("core.identity",),
    "identity_refresh_tokens": ("core.identity",),
    "identity_revoked_tokens": ("core.identity",),
    "identity_keys": ("core.identity",),
    "identity_login_failures": ("core.identity",),
    "identity_secrets": ("core.identity",),
    "identity_upstream_links": ("core.identity",),  # 0018, federation (FED)
    "identity_upstream_logins": ("core.identity",),
    "identity_logout_outbox": ("core.identity",),  # 0020: back-channel logouts owed, retried with backoff
    # the user space (0015, issue 13)
    "letters": ("core.letters",),
    "applications": ("core.applications",),
    "application_steps": ("core.applications",),
    # open data (0017, issue 14); the datastore's own tables (schema `datastore`) are named by resource id
    "opendata_organizations": ("core.opendata",),
    "opendata_groups": ("core.opendata",),
    "opendata_datasets": ("core.opendata",),
    "opendata_resources": ("core.opendata",),
    "opendata_datastore": ("core.opendata",),
    "opendata_api_keys": ("core.opendata",),
    "opendata_quality": ("core.opendata",),
    "opendata_requests": ("core.opendata",),
    "opendata_apps": ("core.opendata",),
    "opendata_app_datasets": ("core.opendata",),
    "opendata_usage": ("core.opendata",),
    "opendata_changes": ("core.opendata",),
    "opendata_link_checks": ("core.opendata",),  # 0028: linked resources' download-link checks
    "opendata_frequencies": ("core.opendata",),  # 0028: days each declared update frequency may wait
    # grassroots disclosure (0019, issue 15)
    "disclosure_units": ("core.disclosure",),
    "disclosure_items": ("core.disclosure",),
    "disclosure_item_revisions": ("core.disclosure",),
    "disclosure_funds": ("core.disclosure",),
    "disclosure_fund_stages": ("core.disclosure",),
    "disclosure_spending": ("core.disclosure",),
    "disclosure_assets": ("core.disclosure",),
    "disclosure_vouchers": ("core.disclosure",),
    "disclosure_rollups": ("core.disclosure",),
    "disclosure_requests": ("core.disclosure",),
    "disclosure_votes": ("core.disclosure",),
    "disclosure_ballots": ("core.disclosure",),
    "disclosure_subscriptions": ("core.disclosure",),  # 0029: residents, outbox, notifications, services
    "disclosure_outbox": ("core.disclosure",),
    "disclosure_notifications": ("core.disclosure",),
    "disclosure_services": ("core.disclosure",),
    # interpretation and response (0026, issue 18): 电视问政 and public consultations
    "tv_episodes": ("core.engagement",),
    "tv_exchanges": ("core.engagement",),
    "tv_commitments": ("core.engagement",),
    "consultations": ("core.engagement",),
    "consultation_comments": ("core.engagement",),
}
# Read-only views the owners publish (core/migrations/0012_read_views.sql): anyone may read them.
VIEWS: dict[str, str] = {
    "live_documents": "documents",
    "document_links": "links",
    "document_canonicals": "documents",
    "site_list": "sites",
    "site_column_list": "site_columns",
    "done_crawls": "crawls",
    "active_qa_pairs": "qa_pairs",
    "identity_people": "identity_users",  # 0014: who a user id is, for every package
    "letter_deadlines": "letters",  # 0015: core.monitoring's interaction rule reads it
    "disclosure_latest": "disclosure_items",  # 0019: freshness of each unit's categories, for monitoring
    "opendata_quality_findings": "opendata_quality",  # 0017: the 回头看 findings, for monitoring
    "opendata_dataset_freshness": "opendata_datasets",  # 0028: datasets' last change against their frequency
    "tv_commitment_deadlines": "tv_commitments",  # 0026: confirmed commitments, for monitoring
}
SQL_TOUCH = re.compile(
    r"\b(?:from|join|into|update|truncate(?:\s+table)?)\s+(?:only\s+)?([a-z_][a-z0-9_]*)\b", re.IGNORECASE
)

# Postgres lets a plain one-table view be written through; "read-only" is this check's promise instead.
SQL_WRITE = re.compile(
    r"\b(?:into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?([a-z_][a-z0-9_]*)\b", re.IGNORECASE
)


def migration_sql() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(MIGRATIONS.glob("*.sql")))


def created(kind: str, sql: str) -> set[str]:
    pattern = rf"\bcreate\s+(?:or\s+replace\s+)?{kind}\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)"
    return {name.lower() for name in re.findall(pattern, sql, re.IGNORECASE)}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose, which may say "from documents")."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def strings_of(source: str) -> Iterator[str]:
    """Every string literal of a module but its docstrings; an f-string's parts are joined around a marker."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield "".join(v.value if isinstance(v, ast.Constant) else " {} " for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip | inner:
            yield node.value


def tables_touched(source: str, tables: set[str]) -> set[str]:
    """The tables (of `tables`) a module's SQL reads or writes."""
    return {m.lower() for text in strings_of(source) for m in SQL_TOUCH.findall(text) if m.lower() in tables}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_owner(module: str, owners: tuple[str, ...]) -> bool:
    return any(module == owner or module.startswith(owner + ".") for owner in owners)


def views_written(source: str, views: set[str]) -> set[str]:
    """The views (of `views`) a module's SQL writes through."""
    return {m.lower() for text in strings_of(source) for m in SQL_WRITE.findall(text) if m.lower() in views}


def violations(module: str, source: str, owners: dict[str, tuple[str, ...]]) -> list[str]:
    touched = [
        f"{module} touches {table}, owned by {' and '.join(owners[table])}"
        for table in tables_touched(source, set(owners))
        if not is_owner(module, owners[table])
    ]
    written = [
        f"{module} writes through the read-only view {view}; the owner of {VIEWS[view]} writes"
        for view in views_written(source, set(VIEWS))
    ]
    return sorted(touched + written)


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not any(rel.startswith(skip + "/") for skip in SKIPPED):
                files.append(path)
    return files


def test_every_table_has_an_owner_and_every_view_exists() -> None:
    sql = migration_sql()
    assert created("table", sql) == set(OWNERS), "a table without an owner (or an owner of no table)"
    assert created("view", sql) == set(VIEWS), "a view not named in VIEWS (or named but not created)"
    assert set(VIEWS.values()) <= set(OWNERS)


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_only_the_owner_touches_a_table(path: Path) -> None:
    found = violations(module_name(path), path.read_text(encoding="utf-8"), OWNERS)
    assert not found, "; ".join(found) + ": call the owner's functions or read one of its views"


def test_the_check_sees_a_violation() -> None:
    source = '''"""Reads from documents, in prose only."""
SQL = "select d.title from documents d join live_documents l on l.id = d.id"
async def f(pool, table):
    await pool.execute(f"update sites set name = $1 where id = {table}")
    await pool.execute("delete from links where from_doc = $1")
'''
    assert violations("core.policy.store", source, OWNERS) == [
        "core.policy.store touches documents, owned by core.documents",
        "core.policy.store touches links, owned by core.documents",
        "core.policy.store touches sites, owned by core.sites",
    ]
    assert violations("core.documents.service", source, OWNERS) == [
        "core.documents.service touches sites, owned by core.sites"
    ]
    assert violations("scrapers.frontier", "Q = 'insert into crawl_urls (url) values ($1)'", OWNERS) == []
    assert violations("core.monitoring.service", "Q = 'update site_list set name = $1'", OWNERS) == [
        "core.monitoring.service writes through the read-only view site_list; the owner of sites writes"
    ]
