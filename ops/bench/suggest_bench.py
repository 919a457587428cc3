"""Latency of document suggestions per keystroke (run by hand; prints p50/p99, never a test).

Builds the in-memory title index (core/search/titles.py) over the demo site group and over N generated
documents, then times `LiveTitles.suggest` (what suggestDocuments runs per request, GraphQL aside) for a few
hundred prefixes typed the way people type: 1-4 hanzi of a word, pinyin of 2-12 letters, 2-4 initials.

Usage: .venv/bin/python -m ops.bench.suggest_bench [N] [PREFIXES]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from datetime import datetime

from core.search.title_cache import LiveTitles
from core.search.titles import TitleDoc, TitleIndex, spellings
from ops.bench.search.corpus import documents
from ops.demo.generator import build_group


def demo_docs() -> list[TitleDoc]:
    out = []
    for site in build_group(datetime(2024, 6, 30, 12, 0)):
        for a in site.articles():
            out.append(
                TitleDoc(
                    id=f"{a.site_id}-{a.ident}",
                    title=a.title,
                    url=a.path,
                    site=a.site_id,
                    site_name=site.spec.name,
                    column=a.column.name,
                    kind=a.kind,
                    published_at=a.published.date(),
                )
            )
    return out


def generated(n: int) -> list[TitleDoc]:
    return [
        TitleDoc(id=d.id, title=d.title, url=d.url, site=d.site, kind=d.kind, published_at=d.published_at)
        for d in documents(n)
    ]


def prefixes(docs: list[TitleDoc], n: int, seed: int = 7) -> list[str]:
    """Prefixes of the keys titles have: what a person typing towards one of them has typed so far."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        hanzi, full, initials = spellings(rng.choice(docs).title)
        kind = rng.randrange(3)
        pieces = (hanzi, full, initials)[kind]
        if not pieces:
            continue
        text, starts = rng.choice(pieces)
        start = rng.choice(starts)[0]
        size = rng.randint(1, 4) if kind == 0 else rng.randint(2, 12) if kind == 1 else rng.randint(2, 4)
        out.append(text[start : start + size])
    return out


def measure(name: str, docs: list[TitleDoc], typed: list[str], changed: int = 0) -> None:
    started = time.perf_counter()
    live = LiveTitles(TitleIndex(docs))
    built = time.perf_counter() - started
    if changed:
        live = live.with_changes({d.id: d for d in docs[:changed]})
    for p in typed[:20]:
        live.suggest(p, 3)  # warm
    wall, cpu, found = [], [], 0
    for p in typed:
        t, c = time.perf_counter(), time.thread_time()
        groups = live.suggest(p, 3)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)  # without the waits of a busy machine
        found += bool(groups)
    wq, cq = statistics.quantiles(wall, n=100), statistics.quantiles(cpu, n=100)
    print(
        f"{name:36} {len(docs):>7} docs  built in {built:6.1f} s  {len(typed)} prefixes ({found} found): "
        f"wall p50 {wq[49]:.3f} p99 {wq[98]:.3f} max {max(wall):.3f} ms; "
        f"cpu p50 {cq[49]:.3f} p99 {cq[98]:.3f} max {max(cpu):.3f} ms"
    )


class _Built:
    """Stands in for the TitleCache of an API process: the index already built."""

    def __init__(self, live: LiveTitles) -> None:
        self.live = live

    def current(self) -> LiveTitles:
        return self.live


async def through_graphql(docs: list[TitleDoc], typed: list[str]) -> None:
    """The same prefixes as `suggestDocuments` queries executed by the schema in this process (no HTTP)."""
    from core.search.service import SearchService
    from core.services import Services
    from core.settings import Settings
    from schema import build_schema
    from schema.context import Context

    settings = Settings()
    search = SearchService(None, title_docs=0)  # type: ignore[arg-type]  # suggestDocuments reads no engine
    search.titles = _Built(LiveTitles(TitleIndex(docs)))  # type: ignore[assignment]
    services = Services(settings=settings, pool=None, bus=None, search=search)  # type: ignore[arg-type]
    schema = build_schema(settings)
    query = "query($p: String!) { suggestDocuments(prefix: $p) { name documents { title url column siteName } } }"
    wall = []
    for p in typed:
        t = time.perf_counter()
        result = await schema.execute(query, {"p": p}, context_value=Context(services=services))
        wall.append((time.perf_counter() - t) * 1000)
        assert not result.errors, result.errors
    w = statistics.quantiles(wall, n=100)
    print(
        f"{'demo site group, through GraphQL':36} {len(docs):>7} docs  {len(typed)} prefixes: "
        f"wall p50 {w[49]:.3f} p99 {w[98]:.3f} max {max(wall):.3f} ms"
    )


def main(n: int, count: int) -> None:
    demo = demo_docs()
    typed = prefixes(demo, count)
    measure("demo site group", demo, typed)
    asyncio.run(through_graphql(demo, typed))
    docs = generated(n)
    typed = prefixes(docs, count)
    measure("generated", docs, typed)
    measure("generated, 1000 changed since built", docs, typed, changed=1000)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 500)
