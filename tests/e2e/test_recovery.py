"""`yiwang up` heals its embedded services: NATS killed with -9 comes back on its port and crawls go on."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from ops.embedded import EmbeddedServices, ServiceState
from tests.conftest import free_port
from tests.e2e.test_mesh import Up, gql
from tests.polling import NotMet, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
POLICY = '{ documents(site: "demo-portal", kind: "policy", pageSize: 1) { items { url version } } }'
VERSION = "query($u: String!) { document(url: $u) { version } }"
CRAWL = 'mutation { crawlSite(site: "demo-portal", full: true) { crawlId state startedAt finishedAt message } }'


async def readyz(base: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as s, s.get(f"{base}/readyz") as r:
        return r.status, dict(await r.json())


async def nats_state(data: Path) -> ServiceState | None:
    return (await asyncio.to_thread(EmbeddedServices(data).status))["nats"]


async def kill_nats_and_watch_it_return(up: Up, base: str) -> None:
    before = await nats_state(up.data_dir)
    assert before is not None, up.output()
    # Holding the services' lock keeps the restart waiting, so the outage can be observed without a race.
    with open(up.data_dir / "services" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.kill(before.pid, signal.SIGKILL)
        _, body = await eventually(lambda: readyz(base), lambda r: r[0] == 503, timeout=20, what="outage")
        assert body["checks"]["nats"] is False and body["checks"]["postgres"] is True
        fcntl.flock(lock, fcntl.LOCK_UN)
    # Until its parent reaps it, the killed server is a zombie that status still reports, so wait for a new pid.
    after = await eventually(
        lambda: nats_state(up.data_dir), lambda s: s is not None and s.pid != before.pid, timeout=30, what="restart"
    )
    assert after is not None and after.pid != before.pid and after.port == before.port, "same port, new process"
    await eventually(lambda: readyz(base), lambda r: r[0] == 200, timeout=30, what="ready again")


async def a_change_is_crawled_and_indexed(up: Up, url: str) -> None:
    token = await up.admin_token()

    async def a_policy() -> list[dict[str, Any]]:
        return list((await gql(url, POLICY))["documents"]["items"])

    target = (await eventually(a_policy, timeout=120, interval=0.5, what="a policy document"))[0]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(target["url"]))
    change = {"path": urlsplit(target["url"]).path}
    async with aiohttp.ClientSession() as s, s.post(f"{origin}/__demo__/change", params=change) as r:
        assert r.status == 200, await r.text()

    async def version_after_a_crawl() -> tuple[int, dict[str, Any] | None]:
        version = int((await gql(url, VERSION, {"u": target["url"]}))["document"]["version"])
        crawl = None
        if version == target["version"]:  # a no-op while a crawl of the site is in flight
            crawl = (await gql(url, CRAWL, token=token))["crawlSite"]
        return version, crawl  # the crawl it saw: a failure shows whether crawls ran and what they said

    await eventually(
        version_after_a_crawl, lambda v: v[0] > target["version"], timeout=120, interval=1.0, what="the change"
    )


async def recover(up: Up) -> None:
    url = (await up.wait_for_line(r"GraphQL\s+(http://\S+/graphql)", timeout=90)).group(1)
    base = url.removesuffix("/graphql")
    await eventually(lambda: readyz(base), lambda r: r[0] == 200, timeout=60, what="ready")
    await kill_nats_and_watch_it_return(up, base)
    await a_change_is_crawled_and_indexed(up, url)


def test_up_restarts_a_killed_nats_on_its_port_and_crawls_go_on(tmp_path: Path) -> None:
    up = Up(tmp_path / "data", free_port())
    try:
        asyncio.run(recover(up))
    except (AssertionError, NotMet) as exc:  # what the mesh logged says why: its errors first, then its last lines
        errors = "\n".join(line for line in up.lines if " ERROR " in line or "Error" in line)
        (tmp_path / "up.log").write_text("\n".join(up.lines), encoding="utf-8")
        raise AssertionError(
            f"{exc}\n--- errors logged:\n{errors}\n--- last lines (all: {tmp_path / 'up.log'}):\n{up.output()}"
        ) from None
    finally:
        code = up.stop()
    assert code == 0, up.output()
    # Every line, not output()'s last 80: the workers' retries during the outage can push it out of those.
    assert any("embedded service running again" in line for line in up.lines), up.output()
