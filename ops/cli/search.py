"""`yiwang search QUERY [--site S] [--limit N] [--json]`: search the index of DATA_DIR as GraphQL would."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import secrets
import sys
from typing import Any

from core.errors import NotFound
from core.search.service import SearchOutcome
from core.search.tantivy_store import POINTER
from core.settings import Settings, get_settings

MAX_CLI_LIMIT = 100


def outcome_json(o: SearchOutcome) -> dict[str, Any]:
    """The GraphQL `search` result contract, camelCase, for scripts."""
    return {
        "searchId": o.search_id,
        "query": o.query,
        "total": o.total,
        "interpreted": {"searched": o.interpreted, "rewrites": [vars(r) for r in o.rewrites] if o.rewrites else []},
        "didYouMean": o.did_you_mean,
        "hits": [
            {
                "documentId": h.hit.id,
                "url": h.hit.url,
                "title": h.hit.title,
                "score": h.hit.score,
                "site": h.hit.site,
                "kind": h.hit.kind,
                "docNo": h.hit.doc_no or None,
                "publishedAt": h.hit.published_at.isoformat() if h.hit.published_at else None,
                "pinned": h.pinned,
                "position": h.position,
                "copies": [{"url": c.url, "site": c.site} for c in h.hit.copies],
            }
            for h in o.hits
        ],
        "facets": {name: [{"value": v, "count": c} for v, c in values] for name, values in o.facets.items()},
    }


def _reader_settings() -> Settings:
    """The settings of DATA_DIR's index; an error that says what to do when DATA_DIR has none."""
    settings = get_settings()
    index = settings.data_dir / "search" / "documents"
    if settings.search_engine == "tantivy" and not (index / POINTER).exists():
        raise NotFound(
            f"no search index in DATA_DIR {settings.data_dir.resolve()}: nothing was crawled or imported there; "
            "run `yiwang up` (or `yiwang services start`, then `yiwang import` or `yiwang crawl`), "
            "or set DATA_DIR to the directory `yiwang up` uses"
        )
    # The ids this process signs are for no click (an unset key would be warned about on every search).
    return dataclasses.replace(settings, search_id_key=settings.search_id_key or secrets.token_urlsafe(32))


async def _search(args: argparse.Namespace) -> SearchOutcome:
    from core.services import open_search

    # A reader of the index of DATA_DIR, without Postgres: nothing is started, and it works while all is down.
    async with open_search(_reader_settings()) as service:
        return await service.search(args.query, page_size=args.limit, site=args.site, scenes=False)


def _found_elsewhere(args: argparse.Namespace) -> int:
    """What the query finds on every site: a site filter that finds nothing may be a mistyped id (the index alone
    cannot tell an unknown site from one without such documents)."""
    return asyncio.run(_search(argparse.Namespace(**{**vars(args), "site": None}))).total


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= MAX_CLI_LIMIT:
        print(f"yiwang: --limit must be between 1 and {MAX_CLI_LIMIT}", file=sys.stderr)
        return 2
    outcome = asyncio.run(_search(args))
    if args.json:
        json.dump(outcome_json(outcome), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if outcome.rewrites:
        print(f"已为您搜索：{outcome.interpreted}")
    print(f"{outcome.total} results")
    if outcome.total == 0 and args.site and (elsewhere := _found_elsewhere(args)):
        print(f"(on site {args.site!r}; {elsewhere} on other sites: is the site id right? `yiwang sites list`)")
    for h in outcome.hits:
        print(f"{h.position:>3}. {h.hit.title}  [{h.hit.kind}] {h.hit.url}  ({h.hit.score:.3f})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="search the index (pinyin, 文号, operators) and print the hits")
    p.add_argument("query")
    p.add_argument("--site", help="only this site id")
    p.add_argument("--limit", type=int, default=10, help=f"hits to print (1-{MAX_CLI_LIMIT}, default 10)")
    p.add_argument("--json", action="store_true", help="print the GraphQL result contract as JSON")
    p.set_defaults(func=run)
