"""Token endpoint: authorization-code exchanges per second over HTTP, against peers measured in the same run.

Run by hand (never a test): embedded Postgres and NATS in a temp dir (or DATABASE_URL and NATS_URL when set; use
an empty database). The real app is served by uvicorn (`--workers` processes, default 2: one per core).

Usage: .venv/bin/python -m ops.bench.oidc_token_bench [--codes N] [--concurrency C] [--workers W]
       [--id-token-alg RS256|ES256]  (RS256, the default registration, costs ~0.9 ms a signature; ES256 ~0.1 ms)

N people are signed in through the provider's own functions (`login.start_session`, the step after the password
check, so no argon2 is timed) and each gets a code for a confidential site through `provider.parse_authorization`
and `provider.issue_code` (PKCE S256, nonce, scope `openid profile`). The codes are then exchanged at
`POST /oidc/token` (client_secret_basic, code_verifier) by an aiohttp client with C requests in flight; every
answer is checked (200, access, ID and refresh token). Printed: exchanges/s, p50/p99 latency, the load average.

Peers, measured in the same run on the same cores:
- `sign only`: the two signatures an exchange must make (ES256 access token, ID token, joserfc) in W
  processes: the ceiling the cryptography alone allows, whatever the rest costs.
- `bare read` / `bare write`: a bare Starlette app under the same uvicorn workers and the same client, whose POST
  reads the form and makes one Postgres round trip: a read, or a one-row insert committed durably (fsync on, as
  every exchange's commit is: the code consumed and the refresh token stored must survive a crash). The floor of
  HTTP + form + one query on this machine, without and with a commit's WAL flush.
The bench settings: RATE_LIMIT_PER_MIN=0 (one client address sends every exchange; in production size it for
the busiest site, docs/identity.md) and AUTH_CODE_TTL_S=3600 (the codes wait while the others are made).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.db import connect_pool
from core.identity import login, provider, store
from core.identity.clients import register_client
from core.settings import Settings
from ops.embedded import free_port, port_open, throwaway_services
from ops.runtime import prepare_database

REDIRECT = "https://bench-site.example/auth/callback"
CLIENT = "bench-site"
VERIFIER = "bench-verifier-" + "x" * 40  # one verifier for all: PKCE is still checked (hash and compare) each time
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
CLAIMS = {"iss": "http://127.0.0.1", "aud": "bench", "sub": str(uuid.uuid4()), "scope": "openid profile"}


@dataclasses.dataclass
class Run:
    what: str
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_ms: tuple[float, ...] = ()  # per request: app server, Postgres, client

    def line(self) -> str:
        n = len(self.latencies_ms)
        q = statistics.quantiles(self.latencies_ms, n=100) if n > 1 else [0.0] * 99
        cpu = ""
        if self.cpu_ms:
            app, pg, client = self.cpu_ms
            cpu = f"   cpu/req: app {app:.2f} + postgres {pg:.2f} ms (client {client:.2f} ms)"
        return (
            f"{self.what:<16} {n / self.seconds:8.0f} /s   p50 {q[49]:6.2f} ms   p99 {q[98]:6.2f} ms"
            f"   n={n} errors={self.errors}{cpu}"
        )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


async def prepare_codes(settings: Settings, n: int, id_token_alg: str = "RS256") -> tuple[str, list[str]]:
    """Register the site, sign N people in and make a code for each, all through the provider's functions."""
    await prepare_database(settings)
    pool = await connect_pool(settings, max_size=8)
    try:
        await pool.execute("create table oidc_bench_peer (code text primary key)")  # the bare write peer's
        secret = await register_client(pool=pool, client_id=CLIENT, redirect_uris=[REDIRECT], id_token_alg=id_token_alg)
        assert secret is not None
        now = datetime.now(UTC)
        params = {
            "client_id": CLIENT,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid profile",
            "state": "s",
            "nonce": "n",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
        request = await provider.parse_authorization(pool=pool, settings=settings, pairs=list(params.items()))

        async def one(i: int) -> str:
            user_id = await store.insert_user(
                pool,
                username=f"bench{i:07d}",
                name=f"用户{i}",
                kind="person",
                real_name_level=2,
                password_hash=None,
                credit_code=None,
                id_number_hash=None,
                totp_secret=None,
            )
            assert user_id is not None
            started = await login.start_session(pool=pool, settings=settings, user_id=user_id, amr=["pwd"], now=now)
            location = await provider.issue_code(
                pool=pool, settings=settings, request=request, session=started.session, now=now
            )
            return provider_code(location)

        codes: list[str] = []
        for start in range(0, n, 500):
            codes += await asyncio.gather(*(one(i) for i in range(start, min(n, start + 500))))
        return secret, codes
    finally:
        await pool.close()


def provider_code(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


async def exchange(url: str, secret: str, codes: list[str], concurrency: int, what: str) -> Run:
    headers = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{secret}".encode()).decode()}
    latencies: list[float] = []
    errors = 0
    queue = iter(codes)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            for code in queue:
                form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
                form["code_verifier"] = VERIFIER
                t = time.perf_counter()
                async with http.post(url, data=form, headers=headers) as answer:
                    body = await answer.json(content_type=None)
                latencies.append((time.perf_counter() - t) * 1000)
                if answer.status != 200 or not {"access_token", "id_token", "refresh_token"} <= set(body):
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Run(what, time.perf_counter() - t0, latencies, errors)


def _sign_batch(count: int, id_token_alg: str) -> float:
    es = ECKey.generate_key("P-256", parameters={"kid": "e"})
    rs = RSAKey.generate_key(2048, parameters={"kid": "r"})
    t = time.perf_counter()
    for i in range(count):
        claims = CLAIMS | {"iat": i, "exp": i + 600, "jti": str(i)}
        jwt.encode({"alg": "ES256", "kid": "e", "typ": "at+jwt"}, claims, es)
        jwt.encode({"alg": id_token_alg, "kid": "r"}, claims, rs if id_token_alg == "RS256" else es)
    return time.perf_counter() - t


def sign_only(n: int, workers: int, id_token_alg: str) -> Run:
    """N signature pairs spread over W processes; the rate is N over the slowest process's time."""
    with ProcessPoolExecutor(workers) as pool:
        times = list(pool.map(_sign_batch, [n // workers] * workers, [id_token_alg] * workers))
    per = (max(times) / (n // workers)) * 1000
    return Run("sign only", max(times), [per] * (n // workers * workers), 0)


def bare_app() -> Starlette:
    """The peers: read the form, one Postgres round trip (a read, or a durable one-row insert), small JSON."""
    settings = Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=10)
        yield
        await app.state.pool.close()

    async def read(request: Request) -> Response:
        form = await request.form()
        value = await request.app.state.pool.fetchval("select $1::text", form.get("code"))
        return JSONResponse({"access_token": value, "id_token": value, "refresh_token": value})

    async def write(request: Request) -> Response:
        form = await request.form()
        value = await request.app.state.pool.fetchval(
            "insert into oidc_bench_peer (code) values ($1) returning code", form.get("code")
        )
        return JSONResponse({"access_token": value, "id_token": value, "refresh_token": value})

    routes = [Route("/oidc/token", read, methods=["POST"]), Route("/oidc/write", write, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


def real_app() -> object:
    from api.app import create_app

    return create_app(Settings.from_env())


@contextlib.contextmanager
def served(factory: str, env: dict[str, str], port: int, workers: int) -> Iterator[tuple[str, int]]:
    """uvicorn with W workers serving `factory` (module:function) on `port`, in a child process."""
    code = (
        "import uvicorn; uvicorn.run("
        f"{factory!r}, factory=True, host='127.0.0.1', port={port}, workers={workers},"
        " log_level='warning', access_log=False, lifespan='on')"
    )
    child = subprocess.Popen([sys.executable, "-c", code], env=os.environ | env)
    try:
        deadline = time.monotonic() + 120
        while not port_open(port):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start")
            time.sleep(0.2)
        time.sleep(1.0)  # every worker has run its lifespan
        yield f"http://127.0.0.1:{port}/oidc/token", child.pid
    finally:
        child.terminate()
        child.wait(30)


def env_of(settings: Settings, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url or "",
        "NATS_URL": settings.nats_url or "",
        "DATA_DIR": str(data_dir),
        "PUBLIC_URL": settings.issuer,
        "RATE_LIMIT_PER_MIN": "0",
        "AUTH_CODE_TTL_S": "3600",
        "LOG_LEVEL": "WARNING",
    }


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each live process (/proc/PID/stat fields 14 and 15)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def family(pid: int) -> list[int]:
    """A process and its descendants (the uvicorn supervisor and its workers)."""
    pids, todo = [], [pid]
    while todo:
        one = todo.pop()
        pids.append(one)
        for task in Path(f"/proc/{one}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return pids


async def postgres_pids(settings: Settings) -> list[int]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return [r[0] for r in await conn.fetch("select pid from pg_stat_activity where pid <> pg_backend_pid()")]
    finally:
        await conn.close()


async def measure(
    url: str, secret: str, codes: list[str], concurrency: int, what: str, *, settings: Settings, server: int
) -> Run:
    """Warm up, then exchange the rest, noting the CPU time the server, Postgres and this client spent on it:
    a cost per exchange that holds whatever else runs on the machine."""
    warm = min(300, len(codes) // 10)
    await exchange(url, secret, codes[:warm], concurrency, "warm-up")  # keys and clients cached, pools full
    before_app, before_pg = cpu_seconds(family(server)), cpu_seconds(await postgres_pids(settings))
    client = time.process_time()
    run = await exchange(url, secret, codes[warm:], concurrency, what)
    client = time.process_time() - client
    after_app, after_pg = cpu_seconds(family(server)), cpu_seconds(await postgres_pids(settings))
    n = len(run.latencies_ms)
    run.cpu_ms = tuple(
        1000 * x / n
        for x in (
            sum(v - before_app.get(p, 0.0) for p, v in after_app.items()),
            sum(v - before_pg.get(p, 0.0) for p, v in after_pg.items()),
            client,
        )
    )
    return run


def bench(settings: Settings, n: int, concurrency: int, workers: int, id_token_alg: str) -> None:
    secret, codes = asyncio.run(prepare_codes(settings, n, id_token_alg))
    print(f"{len(codes):,} codes ready; load average {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="yw-bench-oidc-") as tmp:
        env = env_of(settings, Path(tmp))
        with served("ops.bench.oidc_token_bench:real_app", env, settings.port, workers) as (url, pid):
            ours = asyncio.run(
                measure(url, secret, codes, concurrency, "token endpoint", settings=settings, server=pid)
            )
        after = load()
        with served("ops.bench.oidc_token_bench:bare_app", env, free_port(), workers) as (url, pid):
            fake = [f"c{i}" for i in range(len(codes))]
            bare = asyncio.run(measure(url, secret, fake, concurrency, "bare read", settings=settings, server=pid))
            write = url.replace("/oidc/token", "/oidc/write")
            bare_write = asyncio.run(
                measure(write, secret, fake, concurrency, "bare write", settings=settings, server=pid)
            )
    signs = sign_only(min(len(codes), 4000), workers, id_token_alg)
    print(f"workers={workers} concurrency={concurrency} id_token_alg={id_token_alg}; load after the exchanges: {after}")
    for run in (ours, bare, bare_write, signs):
        print(run.line())
    rate = len(ours.latencies_ms) / ours.seconds
    print(
        f"token endpoint = {rate / (len(bare.latencies_ms) / bare.seconds):.2f} x bare read,"
        f" {rate / (len(bare_write.latencies_ms) / bare_write.seconds):.2f} x bare write,"
        f" {rate / (len(signs.latencies_ms) / signs.seconds):.2f} x the signing ceiling"
    )
    app, pg, _ = ours.cpu_ms
    print(
        f"server CPU per exchange {app + pg:.2f} ms (app {app:.2f}, Postgres {pg:.2f}): two cores given to the"
        f" server alone would carry about {2000 / (app + pg):.0f} exchanges/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="code exchanges per second at the token endpoint")
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--id-token-alg", choices=("RS256", "ES256"), default="RS256", help="the site's registration")
    args = parser.parse_args()
    url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if url and nats_url:
        settings = dataclasses.replace(Settings.from_env(), auth_code_ttl_s=3600, port=free_port())
        bench(settings, args.codes, args.concurrency, args.workers, args.id_token_alg)
        return
    with throwaway_services("yw-bench-oidc-") as (_, db_url, nats):
        settings = Settings(database_url=db_url, nats_url=nats, port=free_port(), auth_code_ttl_s=3600)
        bench(settings, args.codes, args.concurrency, args.workers, args.id_token_alg)


if __name__ == "__main__":
    main()
