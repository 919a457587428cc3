"""`yiwang up`: embedded services, migrations, streams, the demo site group and every Procfile process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from core.crawls import due_sites
from core.db import migrate
from core.halls import HallLibrary
from core.jobs import ensure_broker_schema
from core.services import open_services
from core.settings import MIN_ADMIN_TOKEN, Settings
from core.sites import load_sites_file, sync_sites
from core.stopping import finished, unless_stopped
from ops.cli.disclosure import demo_banner as disclosure_demo
from ops.cli.hall import announce
from ops.demo.applications import publish_demo
from ops.demo.identity import DEMO_CITIZEN, demo_identity
from ops.demo.opendata import demo_catalogue
from ops.embedded import EmbeddedServices
from ops.embedded_auth import write_private
from ops.runtime import Resolved
from ops.scale import PROCESSES, instances
from ops.supervisor import Supervisor
from ops.watch import ServiceWatch

log = logging.getLogger(__name__)
SEARCH_ID_KEY_FILE = "search-id-key"
DEMO_LOADED = Path("demo") / "loaded"  # under DATA_DIR: the background demos are done (_background_demos)


def search_id_key(settings: Settings) -> str:
    """SEARCH_ID_KEY if set, else the key kept in DATA_DIR/search-id-key (0600), made on the first start: the search
    ids every web process signs then verify in every other one, and after a restart."""
    if settings.search_id_key:
        return settings.search_id_key
    path = settings.data_dir / SEARCH_ID_KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if len(key) < MIN_ADMIN_TOKEN:
        key = secrets.token_urlsafe(32)
        write_private(path, key + "\n")
    return key


async def _prepare(resolved: Resolved, sites_file: Path) -> tuple[int, list[str]]:
    """Migrate, load the sites, create the streams; returns the number of sites and those due for a crawl."""
    settings = resolved.settings
    async with open_services(settings, name="up", pool_size=2) as services:
        applied = await migrate(services.pool)
        if applied:
            log.info("migrations applied", extra={"migrations": applied})
        await ensure_broker_schema(services.pool, settings)
        count = await sync_sites(services.pool, load_sites_file(sites_file))
        await services.bus.ensure_streams()
        due = await due_sites(services.pool, services.clock())
    return count, due


async def _halls(settings: Settings) -> list[str]:
    """Build every hall of scene_assets/ whose layout changed (a bad layout stops `up` with its YAML path) and
    announce the rebuilt ones; the banner lines naming each hall's GraphQL id and GLB."""
    library = HallLibrary()
    built = [library.build(hall_id) for hall_id in library.ids()]
    await announce(settings, [b for b in built if b.rebuilt])
    base = f"http://{settings.host}:{settings.port}"
    return [f"  hall     {b.id}  {base}/halls/{b.id}/  ({b.size:,} bytes GLB)" for b in built]


async def _background_demos(settings: Settings) -> None:
    """The open-data demo catalogue (docs/opendata.md) and the disclosure demo of 成都市 (docs/disclosure.md), one
    after the other beside the processes' start (the first load of each takes tens of seconds; later starts find
    them and do nothing): the crawl of the demo sites does not wait for them. When both are done (loaded or
    failed) DATA_DIR/demo/loaded says so, for benchmarks that must start on a settled mesh."""
    marker = settings.data_dir / DEMO_LOADED
    await asyncio.to_thread(marker.unlink, missing_ok=True)
    for name, load in (("open-data demo catalogue", demo_catalogue), ("disclosure demo", disclosure_demo)):
        try:
            lines = await load(settings)
            log.info(f"{name} ready", extra={"summary": lines[0].strip() if lines else ""})
        except Exception:  # the rest of the platform runs on without it; the log says why
            log.exception(f"the {name} could not be loaded")
    marker.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(marker.write_text, f"{datetime.now(UTC).isoformat()}\n", encoding="utf-8")


async def _extras(settings: Settings, sites_file: Path, *, demo: bool) -> tuple[list[str], asyncio.Task[None] | None]:
    """Demo identity (clients, citizen, admin) and the citizen's applications, the halls, and the open-data demo
    catalogue and the disclosure demo started in the background; banner lines, and that background task."""
    lines = await demo_identity(settings, sites_file, demo=demo)
    if demo:  # the demo citizen's applications, as the service platform's connector would send them
        await publish_demo(settings, DEMO_CITIZEN)
    lines += await _halls(settings)
    if not demo:
        return lines, None
    base = f"http://{settings.host}:{settings.port}"
    lines += [
        f"  opendata {base}/api/3/action/package_search  (the demo catalogue loads in the background)",
        f"  dcat     {base}/catalog.ttl",
        "  disclosure 成都市 (20 districts, 261 townships, generated villages; loads in the background):"
        ' { unit(code: "510100000000") { name rollup { items funds { count amount } } } }',
    ]
    return lines, asyncio.create_task(_background_demos(settings))


def _say(text: str) -> None:
    """A line while stopping: a closed stdout (the terminal or the reading pipe gone, as when whoever ran `up`
    was killed) must not end the shutdown before the processes and services are stopped."""
    with contextlib.suppress(OSError, ValueError):
        print(text, flush=True)


def _banner(crawl_line: str, base: str, more: list[str]) -> str:
    lines = [
        f"\n  {crawl_line}",
        f"  GraphQL  {base}/graphql",
        f"  portal   {base}/   (登录 as demo-citizen, 我的 at /me; big screen: {base}/screen/<site>)",
        *more,
        "  Ctrl-C stops everything.\n",
    ]
    return "\n".join(lines)


def _scale_lines(counts: dict[str, int], port: int) -> list[str]:
    """The banner's word on the processes, when `--scale` asked for more than one of a kind."""
    if all(n == 1 for n in counts.values()):
        return []
    kinds = ", ".join(f"{kind} ×{n}" for kind, n in counts.items())
    web = f"; the {counts['web']} web processes share port {port} (SO_REUSEPORT)" if counts["web"] > 1 else ""
    return [f"  processes {kinds}{web}"]


def _crawl_line(count: int, due: list[str]) -> str:
    """The banner's first line: what the scheduler will crawl now, only what is true (a restart may owe none)."""
    sites = f"{count} site{'' if count == 1 else 's'}"
    if not due:
        return f"yiwang is up: {sites}, none due for a crawl (each on its schedule; crawlSite crawls one now)."
    return f"yiwang is up: {sites}, {len(due)} due for a crawl now ({', '.join(due)})."


async def _ready_unless_stopped(
    url: str, supervisor: Supervisor, stop: asyncio.Event, timeout: float = 60.0
) -> bool | None:
    """True once the web process answers, False if it did not in time, None when Ctrl-C came first."""
    ready = await unless_stopped(_wait_ready(url, supervisor, timeout), stop)
    return ready.result() if finished(ready) else None


async def _wait_ready(url: str, supervisor: Supervisor, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.3)
    return False


def _supervise(env: dict[str, str], counts: dict[str, int], *, worker_threads: int, metrics_port: int) -> Supervisor:
    """Every process `counts` asks for (each kind once by default); several web processes share PORT."""
    supervisor = Supervisor(env)
    me = [sys.executable, "-m", "ops"]
    for one in instances(counts, metrics_port=metrics_port):
        extra = ["--threads", str(worker_threads)] if one.kind == "worker" else []
        if one.kind == "web" and counts["web"] > 1:
            extra = ["--reuse-port"]  # one port, SO_REUSEPORT: the kernel spreads connections over them
        supervisor.add(one.label, [*me, one.kind, *extra], one.env)
    return supervisor


async def run_up(
    resolved: Resolved,
    *,
    demo: bool,
    sites_file: Path | None,
    worker_threads: int = 4,
    scale: dict[str, int] | None = None,
) -> int:
    settings = resolved.settings
    group = None
    if demo and sites_file is None:
        from ops.demo.server import DemoSiteGroup

        group = DemoSiteGroup(settings.data_dir / "demo")
        await group.start()
        sites_file = settings.data_dir / "demo" / "sites.yaml"
        group.write_sites_yaml(sites_file)
    if sites_file is None:
        raise SystemExit("no sites: pass --sites FILE, set SITES_FILE, or leave the demo on")
    count, due = await _prepare(resolved, sites_file)
    banner_extras, catalogue = await _extras(settings, sites_file, demo=group is not None)
    env = resolved.child_env()  # ADMIN_TOKEN (break-glass) reaches the processes only when it is set
    env["SEARCH_ID_KEY"] = search_id_key(settings)
    env.setdefault("LOG_FORMAT", "text")
    if group is not None:  # made-up answers, labelled as demo data: personal records, weather (docs/qa-connectors.md)
        env.setdefault("PERSONAL_RECORDS", "demo")
        env.setdefault("WEATHER_PROVIDER", "demo")
    counts = scale or dict.fromkeys(PROCESSES, 1)
    supervisor = _supervise(env, counts, worker_threads=worker_threads, metrics_port=settings.metrics_port)
    banner_extras = _scale_lines(counts, settings.port) + banner_extras
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await supervisor.start()
    # Only what this run started: services someone else runs, or URLs from the environment, are theirs.
    embedded = EmbeddedServices(settings.data_dir, nats_monitor=settings.nats_monitor)
    watch = asyncio.create_task(ServiceWatch(embedded, resolved.started).run())
    base = f"http://{settings.host}:{settings.port}"
    try:
        ready = await _ready_unless_stopped(f"{base}/healthz", supervisor, stop)
        if ready is False:  # a loaded machine can take longer: say so, and print the banner once it answers
            log.warning("the web process is not healthy after 60 s; still waiting (see its output above)")
            ready = await _ready_unless_stopped(f"{base}/healthz", supervisor, stop, timeout=math.inf)
        if ready:
            demo_sites = [f"  demo     {s['name']}  {s['start_urls'][0]}" for s in group.sites()] if group else []
            print(_banner(_crawl_line(count, due), base, demo_sites + banner_extras), flush=True)
        await stop.wait()
    finally:
        _say("\nstopping…")
        watch.cancel()
        if catalogue is not None:
            catalogue.cancel()
        await supervisor.stop()
        if group is not None:
            await group.stop()
        if resolved.started:
            EmbeddedServices(settings.data_dir).stop()
        _say("stopped.")
    return 0
