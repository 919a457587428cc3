"""Lighthouse scores of the portal's search and document pages (mobile emulation), issue 17.

    python -m ops.bench.lighthouse [--base http://127.0.0.1:8000] [--query 养老] [--out scores.json]

Without --base it starts embedded Postgres and NATS in a temp dir and the portal test server
(tests/browser/portal_server.py: the real app with demo documents). Lighthouse comes from npm, pinned by
tests/lighthouse/package-lock.json (tests/npm.py installs it), and drives Debian's Chromium (CHROME_PATH).
Targets: accessibility 100, performance ≥ 90."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = ("accessibility", "performance", "best-practices")
TARGETS = {"accessibility": 100, "performance": 90}
CHROME = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def lighthouse_cli() -> Path:
    from tests.npm import installed

    return installed(ROOT / "tests" / "lighthouse") / "lighthouse" / "cli" / "index.js"


def run_lighthouse(cli: Path, url: str) -> dict[str, int]:
    """Scores 0–100 per category for one URL (mobile emulation, simulated throttling: Lighthouse's defaults)."""
    done = subprocess.run(
        [
            "node",
            str(cli),
            url,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROME_PATH": CHROME},
    )
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed for {url}:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    failed = [
        a["id"] for a in report["audits"].values() if a.get("score") == 0 and a.get("scoreDisplayMode") == "binary"
    ]
    if failed:
        print(f"  failed audits on {url}: {', '.join(failed)}", file=sys.stderr)
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def pages(base: str, query: str) -> dict[str, str]:
    search = f"{base}/search?q={urllib.parse.quote(query)}"
    with urllib.request.urlopen(search) as r:
        html = r.read().decode()
    found = re.search(r'href="(/documents/[0-9a-f-]{36})"', html)
    if not found:
        raise SystemExit(f"no result for {query!r} at {base}: import documents first, or pick another --query")
    return {"search": search, "document": base + found.group(1)}


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """Embedded services in a temp dir and the portal test server over a fresh database."""
    from core.db import migrate
    from core.settings import Settings
    from ops.embedded import EmbeddedServices
    from tests.browser.portal_server import portal_server
    from tests.services import create_database

    with tempfile.TemporaryDirectory(prefix="yw-lighthouse-") as tmp:
        embedded = EmbeddedServices(Path(tmp) / "services")
        started = embedded.start(postgres=True, nats=True)
        try:
            url = asyncio.run(create_database(started["postgres"].url))

            async def migrated() -> None:
                import asyncpg

                pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
                try:
                    await migrate(pool)
                finally:
                    await pool.close()

            asyncio.run(migrated())
            settings = Settings(database_url=url, nats_url=started["nats"].url, data_dir=Path(tmp) / "data")
            with portal_server(settings) as server:
                yield server.url
        finally:
            embedded.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="a running API (default: start a demo one)")
    parser.add_argument("--query", default="养老")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    cli = lighthouse_cli()
    with contextlib.nullcontext(args.base) if args.base else demo_server() as base:
        scores = {name: run_lighthouse(cli, url) for name, url in pages(base, args.query).items()}
    print(f"{'page':<10}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for name, s in scores.items():
        print(f"{name:<10}" + "".join(f"{s[c]:>16}" for c in CATEGORIES))
    if args.out:
        args.out.write_text(json.dumps(scores, indent=2), encoding="utf-8")
    short = [(n, c, s[c]) for n, s in scores.items() for c, t in TARGETS.items() if s[c] < t]
    for name, category, score in short:
        print(f"below target: {name} {category} {score} < {TARGETS[category]}", file=sys.stderr)
    return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
