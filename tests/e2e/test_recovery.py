"""`yiwang up` heals its embedded services: NATS killed with -9 comes back on its port and crawls go on (a change is
found, published through the restarted server and stored)."""

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
CRAWL = 'mutation { crawlSite(site: "demo-portal", full: true) { crawlId } }'
DOCUMENT = "query($u: String!) { document(url: $u) { version } }"
STATUS = '{ crawlStatus(site: "demo-portal") { crawlId state changed message } }'


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


async def a_change_is_crawled(up: Up, url: str) -> None:
    """After the restart a crawl runs, sees a page changed since and publishes it (the publish waits for NATS's
    ack, so a crawl that finishes having changed a page got through the restarted server), and the indexer stores
    it: the disclosure demo that `up` loads meanwhile (about 47,000 documents) goes through a lane of its own."""
    token = await up.admin_token()

    async def a_policy() -> list[dict[str, Any]]:
        return list((await gql(url, POLICY))["documents"]["items"])

    target = (await eventually(a_policy, timeout=120, interval=0.5, what="a policy document"))[0]

    async def latest() -> dict[str, Any]:
        return dict((await gql(url, STATUS))["crawlStatus"])

    idle = await eventually(latest, lambda s: s["state"] not in ("queued", "running"), timeout=120, what="idle")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(target["url"]))
    change = {"path": urlsplit(target["url"]).path}
    async with aiohttp.ClientSession() as s, s.post(f"{origin}/__demo__/change", params=change) as r:
        assert r.status == 200, await r.text()

    async def crawled_since() -> dict[str, Any]:
        status = await latest()
        if int(status["crawlId"]) <= int(idle["crawlId"]):
            await gql(url, CRAWL, token=token)  # the first crawl queued after the change must find it
        return status  # a failure shows the last crawl: whether it ran, failed or stuck in flight

    def found_it(status: dict[str, Any]) -> bool:
        return int(status["crawlId"]) > int(idle["crawlId"]) and status["state"] in ("done", "failed")

    done = await eventually(crawled_since, found_it, timeout=120, interval=1.0, what="a crawl after the change")
    assert done["state"] == "done" and done["changed"] >= 1, done

    async def stored_version() -> int:
        return int((await gql(url, DOCUMENT, {"u": target["url"]}))["document"]["version"])

    await eventually(stored_version, lambda v: v > int(target["version"]), timeout=120, what="the change stored")


async def recover(up: Up) -> None:
    url = (await up.wait_for_line(r"GraphQL\s+(http://\S+/graphql)", timeout=90)).group(1)
    base = url.removesuffix("/graphql")
    await eventually(lambda: readyz(base), lambda r: r[0] == 200, timeout=60, what="ready")
    await kill_nats_and_watch_it_return(up, base)
    await a_change_is_crawled(up, url)


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
