"""`yiwang extract PATH_OR_URL`: show what extraction finds on one saved or live page."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from core.errors import Upstream
from ops.cli._files import input_file
from scrapers.charset import decode_html
from scrapers.extract import Extracted, extract

FETCH_TIMEOUT_S = 30
MAX_BODY_BYTES = 20_000_000


async def _fetch(url: str) -> tuple[bytes, str | None]:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    headers = {"User-Agent": "yiwang-extract/0.1 (+https://github.com/yiwang)"}
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, headers=headers) as session,
            session.get(url, allow_redirects=True) as resp,
        ):
            if resp.status >= 400:
                raise Upstream(f"{url} answered HTTP {resp.status}", status=resp.status)
            body = await resp.content.read(MAX_BODY_BYTES)
            return body, resp.headers.get("Content-Type")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Upstream(f"cannot fetch {url}: {exc}") from exc


def load(target: str) -> tuple[str, str]:
    """(html text, page URL) from a file path or an http(s) URL, decoded by its declared or detected charset."""
    if target.startswith(("http://", "https://")):
        body, content_type = asyncio.run(_fetch(target))
        return decode_html(body, content_type)[0], target
    path = input_file(target)
    return decode_html(path.read_bytes(), None)[0], path.resolve().as_uri()


def render(page: Extracted) -> str:
    """A readable listing of the extracted fields."""
    rows = [
        ("kind", page.kind),
        ("title", page.title),
        ("published", page.published_at.isoformat() if page.published_at else ""),
        ("column", page.column or ""),
        ("breadcrumb", " > ".join(page.breadcrumb)),
    ]
    rows += [(f"meta.{name}", str(value)) for name, value in page.meta.items()]
    rows += [("attachment", f"{a.name} [{a.type}{', ' + a.size if a.size else ''}] {a.url}") for a in page.attachments]
    rows.append(("links", str(len(page.links))))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    excerpt = page.text[:600] + ("…" if len(page.text) > 600 else "")
    return "\n".join([*lines, "", f"text ({len(page.text)} chars):", excerpt])


def run(args: argparse.Namespace) -> int:
    html, url = load(args.target)
    page = extract(html, args.url or url)
    if args.json:
        json.dump(page.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(render(page))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract title, text, dates, 文号 and links from one page (file or URL)")
    p.add_argument("target", metavar="PATH_OR_URL", help="a saved HTML file or an http(s) URL")
    p.add_argument("--url", help="the page's address, to resolve relative links of a saved file")
    p.add_argument("--json", action="store_true", help="print JSON (dates as YYYY-MM-DD)")
    p.set_defaults(func=run)
