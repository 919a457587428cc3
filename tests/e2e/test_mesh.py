"""The whole mesh as a user runs it: `yiwang up` on the embedded default, the demo group, live changes, Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import psutil
import pytest

from core.bus import Bus, DocumentChanged
from core.settings import Settings
from ops.embedded import EmbeddedServices
from tests.conftest import ROOT, free_port
from tests.integration.graphql import first_data
from tests.polling import NotMet, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DEMO_SITES = {"demo-portal", "demo-dept", "demo-county"}


def _dies_with_this_process() -> Callable[[], None] | None:
    """Run in the child before `up` starts (Linux): SIGTERM to it when the test process dies. An xdist worker killed
    after an INTERNALERROR left its `up` running for half an hour; pytest then removed its temp DATA_DIR."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, before the fork: the child only calls it

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_parent_death_signal


PR_SET_PDEATHSIG = 1


class Up:
    """`python -m ops up` in a child process, its output collected for assertions and failure messages."""

    def __init__(self, data_dir: Path, port: int, read_until: str | None = None) -> None:
        self.data_dir, self.read_until = data_dir, read_until
        unset = ("DATABASE_URL", "NATS_URL", "BROKER_URL", "SITES_FILE", "ADMIN_TOKEN")
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env |= {"DATA_DIR": str(data_dir), "PORT": str(port), "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}
        argv, dies = [sys.executable, "-m", "ops", "up"], _dies_with_this_process()
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=dies
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            if self.read_until and re.search(self.read_until, line):
                return  # nobody reads from here on: the test may close the pipe, as a closed terminal does

    def output(self) -> str:
        return "\n".join(self.lines[-80:])

    async def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        async def first_match() -> re.Match[str] | None:
            found = next((m for line in list(self.lines) if (m := re.search(pattern, line))), None)
            assert found or self.proc.poll() is None, f"yiwang up exited early:\n{self.output()}"
            return found

        try:
            match = await eventually(first_match, timeout=timeout, interval=0.2)
        except NotMet:
            raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.output()}") from None
        assert match is not None
        return match

    async def admin_token(self) -> str:
        """As a user finds it: the banner names the demo admin and the command that prints a token of theirs."""
        command = (await self.wait_for_line(r"a bearer token for the terminal: yiwang (users token .+)$", 5)).group(1)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
        argv = [sys.executable, "-m", "ops", *command.split()]
        env["DATA_DIR"] = str(self.data_dir)
        done = await asyncio.to_thread(subprocess.run, argv, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        return self.proc.wait(timeout=60)


async def gql(
    url: str, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables or {}}
    async with aiohttp.ClientSession() as s, s.post(url, json=body, headers=headers) as r:
        body = await r.json()
        assert "errors" not in body, body
        return dict(body["data"])


async def wait_sites_filled(url: str, timeout: float) -> list[dict[str, Any]]:
    async def sites() -> list[dict[str, Any]]:
        return list((await gql(url, "{ sites { id name level documentCount lastCrawledAt } }"))["sites"])

    def filled(found: list[dict[str, Any]]) -> bool:
        return {s["id"] for s in found if s["documentCount"] > 0} >= DEMO_SITES

    return await eventually(sites, filled, timeout=timeout, interval=0.5, what="every demo site filled")


@contextlib.asynccontextmanager
async def live_probe(up: Up, origin: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Publishes a harmless documentChanged (a document that does not exist) on the mesh's NATS.

    Core NATS, but YW_DOC stores it too, so the mesh's consumers read it: its id is a UUID of no document,
    which the policy library skips and the projector deletes from nowhere (a made-up id would fail their batch).
    """
    nats = EmbeddedServices(up.data_dir).status()["nats"]
    assert nats is not None, up.output()
    bus = await Bus(Settings(nats_url=nats.url), name="e2e-probe").connect()
    probe = DocumentChanged(
        document_id=str(uuid.uuid4()),
        url=f"{origin}/probe",
        site_id="demo-portal",
        change="updated",
        version=0,
        content_hash="",
    )
    try:
        yield lambda: bus.notify(probe)
    finally:
        await bus.close()


async def second_up_is_refused(up: Up, url: str) -> None:
    """A second `up` on the same DATA_DIR (another PORT, so the port is free) is refused before it starts anything:
    it would load the demo sites with its own demo ports, which stop with it, under the first run's crawls."""
    query = "{ sites(enabled: true) { id startUrls } }"
    before = (await gql(url, query))["sites"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "SITES_FILE")}
    env |= {"DATA_DIR": str(up.data_dir), "PORT": str(free_port())}
    argv = [sys.executable, "-m", "ops", "up"]
    done = await asyncio.to_thread(subprocess.run, argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"yiwang up already runs on DATA_DIR {up.data_dir.resolve()} (pid {up.proc.pid}, GraphQL at {url})" in (
        done.stderr
    )
    assert (await gql(url, query))["sites"] == before, "the running group's sites are untouched"


async def first_run(up: Up, port: int) -> None:
    m = await up.wait_for_line(r"GraphQL\s+(http://\S+/graphql)", timeout=90)
    url = m.group(1)
    assert url == f"http://127.0.0.1:{port}/graphql"
    token = await up.admin_token()
    sites = await wait_sites_filled(url, timeout=180)  # how soon is a benchmark's concern (a loaded CI machine)
    assert {s["level"] for s in sites} >= {"市", "部门", "区县"}
    await second_up_is_refused(up, url)
    policies = '{ documents(site: "demo-portal", kind: "policy", pageSize: 1) { items { url version } } }'

    async def items() -> list[dict[str, Any]]:  # the indexer may still be applying
        assert up.proc.poll() is None, up.output()
        return list((await gql(url, policies))["documents"]["items"])

    target = (await eventually(items, timeout=120, interval=0.5, what="a policy document"))[0]
    path = urlsplit(target["url"]).path
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(target["url"]))

    query = 'subscription { documentChanged(site: "demo-portal") { url change version } }'
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(url, protocols=["graphql-transport-ws"]) as ws,
        live_probe(up, origin) as poke,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        await first_data(ws, poke)  # the probe's: the server's subscription is in place
        async with s.post(f"{origin}/__demo__/change", params={"path": path}) as r:
            assert r.status == 200, await r.text()
        await gql(url, 'mutation { crawlSite(site: "demo-portal", full: true) { state } }', token=token)
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, f"no documentChanged for {target['url']}:\n{up.output()}"
            msg = await ws.receive_json(timeout=60)
            if msg["type"] == "next" and msg["payload"]["data"]["documentChanged"]["url"] == target["url"]:
                change = msg["payload"]["data"]["documentChanged"]
                # The first crawl's announcement of this page (published after its commit, so possibly after
                # we subscribed) or a re-projection of the same version may come first: wait for the change.
                if change["version"] > target["version"]:
                    break
    assert change["change"] == "updated" and change["version"] == target["version"] + 1
    stored = await gql(url, "query($u: String!) { document(url: $u) { version text } }", {"u": target["url"]})
    assert stored["document"]["version"] == target["version"] + 1 and "更新" in stored["document"]["text"]


async def second_run(up: Up) -> None:
    m = await up.wait_for_line(r"GraphQL\s+(http://\S+/graphql)", timeout=90)
    sites = (await gql(m.group(1), "{ sites { id documentCount } }"))["sites"]
    assert all(s["documentCount"] > 0 for s in sites if s["id"] in DEMO_SITES), "data kept across restarts"


def test_up_serves_the_demo_group_live_and_stops_cleanly(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    up = Up(data, port)
    try:
        asyncio.run(first_run(up, port))
    finally:
        code = up.stop()
    assert code == 0, up.output()
    assert "stopped." in up.output()
    assert EmbeddedServices(data).status() == {"postgres": None, "nats": None}, "Ctrl-C stops every process"

    again = Up(data, port, read_until=r"GraphQL\s+http")
    try:
        asyncio.run(second_run(again))
        processes = psutil.Process(again.proc.pid).children(recursive=True)
        assert processes, "up runs its processes as children"
        assert again.proc.stdout
        again.proc.stdout.close()  # whoever ran `up` is gone: its "stopping…" meets a closed pipe
    finally:
        again.stop()
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, f"Ctrl-C with stdout closed left {[p.cmdline()[:4] for p in alive]} running"
    assert EmbeddedServices(data).status() == {"postgres": None, "nats": None}
