"""The soak's change feed: the demo sites publish, edit and withdraw articles at a steady rate (their
/__demo__/ hooks); what they did is kept in a Ledger, which the count check compares with what Postgres, the
search index and every live subscriber got."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import aiohttp
import yaml

# Out of every 20 changes: 10 new articles, 7 edits, 3 withdrawals (a site publishes more than it takes down).
CYCLE = ("publish",) * 10 + ("change",) * 7 + ("withdraw",) * 3


def actions(rng: Random) -> Iterator[str]:
    """The feed's actions, in the CYCLE's proportions within every 20, in a seeded order."""
    while True:
        cycle = list(CYCLE)
        rng.shuffle(cycle)
        yield from cycle


def demo_bases(data_dir: Path) -> dict[str, str]:
    """Each demo site's base URL, from the sites.yaml `yiwang up` writes to DATA_DIR/demo."""
    sites = yaml.safe_load((data_dir / "demo" / "sites.yaml").read_text("utf-8"))["sites"]
    return {s["id"]: s["start_urls"][0].rstrip("/") for s in sites}


@dataclass
class Ledger:
    """What the demo sites did during the soak, by URL."""

    published: dict[str, str] = field(default_factory=dict)  # url → site
    edited: dict[str, int] = field(default_factory=dict)  # url → number of its latest 更新 paragraph
    withdrawn: dict[str, str] = field(default_factory=dict)  # url → site
    failures: list[str] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return len(self.published) + len(self.edited) + len(self.withdrawn)

    def urls(self) -> set[str]:
        """Every URL that changed: each must reach every subscriber as a DocumentChanged."""
        return set(self.published) | set(self.edited) | set(self.withdrawn)


class ChangeFeed:
    """`per_minute` changes a minute, spread evenly, on a random demo site each."""

    def __init__(self, bases: dict[str, str], per_minute: float, *, seed: int = 19) -> None:
        self.bases, self.interval = bases, 60.0 / per_minute
        self.rng = Random(seed)
        self.ledger = Ledger()
        self._actions = actions(self.rng)

    async def run(self, stop: asyncio.Event) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            due = time.monotonic()
            while not stop.is_set():
                try:
                    await self.step(session, next(self._actions))
                except (aiohttp.ClientError, TimeoutError) as exc:  # counted; the feed goes on
                    self.ledger.failures.append(f"{type(exc).__name__}: {exc}")
                due += self.interval
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(0.0, due - time.monotonic()))
                except TimeoutError:
                    pass

    async def step(self, session: aiohttp.ClientSession, action: str) -> None:
        site = self.rng.choice(sorted(self.bases))
        base, ledger = self.bases[site], self.ledger
        if action == "publish":
            ledger.published[await self._post(session, f"{base}/__demo__/publish", {})] = site
            return
        async with session.get(f"{base}/__demo__/articles") as resp:
            paths = (await resp.json())["paths"]
        if action == "change":
            path = self.rng.choice(paths)
            async with session.post(f"{base}/__demo__/change", params={"path": path}) as resp:
                body = await resp.json()
            if resp.status != 200:
                ledger.failures.append(f"change {path}: {resp.status} {body}")
                return
            ledger.edited[body["url"]] = body["version"]
        else:  # withdraw one of the articles the site had before the soak, so that each URL has one fate
            originals = [p for p in paths if base + p not in ledger.published and base + p not in ledger.edited]
            if not originals:  # a long soak has used them all up: publish instead (the rate stays as asked)
                ledger.published[await self._post(session, f"{base}/__demo__/publish", {})] = site
                return
            url = await self._post(session, f"{base}/__demo__/withdraw", {"path": self.rng.choice(originals)})
            ledger.withdrawn[url] = site

    async def _post(self, session: aiohttp.ClientSession, url: str, params: dict[str, str]) -> str:
        async with session.post(url, params=params) as resp:
            body = await resp.json()
        if resp.status != 200:
            raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status, message=str(body))
        return str(body["url"])


@dataclass(frozen=True)
class Held:
    """What the mesh holds of the ledger's URLs once settled."""

    stored: int  # published URLs stored as live documents
    searchable: int  # published URLs a search for their title finds
    edited: int  # edited URLs whose stored text has their latest 更新 paragraph
    gone: int  # withdrawn URLs stored as gone
    unsearchable: int  # withdrawn URLs a search for their title no longer finds
    subscribers_complete: int  # subscribers that received a DocumentChanged for every URL of the ledger
    subscribers_open: int


def judge_counts(ledger: Ledger, held: Held) -> tuple[bool, list[str]]:
    """The count check: published = stored = found in search, every edit stored, every withdrawal gone and out
    of search, every open subscriber told of every URL, and the feed itself without failures."""
    p, e, w = len(ledger.published), len(ledger.edited), len(ledger.withdrawn)
    checks = [
        (
            p == held.stored == held.searchable,
            f"published {p} = stored {held.stored} = found in search {held.searchable}",
        ),
        (e == held.edited, f"edited {e} = stored with their latest edit {held.edited}"),
        (
            w == held.gone == held.unsearchable,
            f"withdrawn {w} = gone {held.gone} = absent from search {held.unsearchable}",
        ),
        (
            held.subscribers_complete == held.subscribers_open > 0,
            f"subscribers told of all {len(ledger.urls())} changed URLs: {held.subscribers_complete}/"
            f"{held.subscribers_open} open",
        ),
        (not ledger.failures, f"change feed failures: {len(ledger.failures)} {ledger.failures[:3]}"),
    ]
    return all(ok for ok, _ in checks), [f"{line} {'ok' if ok else 'MISMATCH'}" for ok, line in checks]
