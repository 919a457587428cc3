"""`yiwang ask QUESTION [--session S] [--json]`: ask the Q&A knowledge base as GraphQL `ask` would."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from core.qa.models import Basis, Link, Option, Reply


def _basis(b: Basis | None) -> dict[str, Any] | None:
    return None if b is None else {"url": b.url, "title": b.title, "kind": b.kind}


def _options(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [{"qaId": o.qa_id, "question": o.question, "score": o.score} for o in options]


def _links(links: tuple[Link, ...]) -> list[dict[str, str]]:
    return [{"title": link.title, "url": link.url} for link in links]


def reply_json(r: Reply) -> dict[str, Any]:
    """The GraphQL `ask` result contract, camelCase, for scripts."""
    return {
        "kind": r.kind,
        "answer": r.text,
        "qaId": r.qa_id,
        "confidence": r.confidence,
        "basis": _basis(r.basis),
        "options": _options(r.options),
        "related": _options(r.related),
        "services": _links(r.services),
        "results": _links(r.results),
        "hotline": r.hotline,
    }


async def _ask(args: argparse.Namespace) -> Reply:
    from core.services import need, open_services
    from ops.runtime import prepare_database, resolve

    settings = resolve().settings  # running services only: a question starts nothing
    await prepare_database(settings)
    # Without a search engine the hotline still stands in for search results.
    async with open_services(settings, name="ask", pool_size=2, engine="optional", qa=True) as services:
        return await need(services.qa, "the Q&A service").ask(args.question, args.session)


def run(args: argparse.Namespace) -> int:
    reply = asyncio.run(_ask(args))
    if args.json:
        json.dump(reply_json(reply), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print(reply.text)
    for o in reply.options:
        print(f"  - {o.question}  [{o.qa_id}]")
    if reply.basis and (reply.basis.title or reply.basis.url):
        print(f"依据：{reply.basis.title or ''} {reply.basis.url or ''}".rstrip())
    for link in reply.results:
        print(f"  · {link.title} {link.url}")
    if reply.qa_id:
        print(f"[{reply.qa_id}, confidence {reply.confidence:.2f}]")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask the Q&A knowledge base a question and print the answer")
    p.add_argument("question")
    p.add_argument("--session", help="a session id: follow-up questions refer to what it last asked")
    p.add_argument("--json", action="store_true", help="print the GraphQL `ask` result contract as JSON")
    p.set_defaults(func=run)
