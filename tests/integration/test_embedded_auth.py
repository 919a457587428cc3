"""The embedded Postgres and NATS refuse whoever lacks their generated secret (a 0600 file in DATA_DIR), a data
dir made by earlier versions (Postgres `--auth=trust`, NATS without a token) is secured on its next start, and
as root the Postgres OS user is let through DATA_DIR's parents alone (no o+x for everyone)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import nats
import psutil
import pytest
from nats.errors import Error as NatsError

from core import errors as core_errors
from core.bus import Bus
from core.settings import Settings
from ops import embedded_auth as auth
from ops.embedded import PG_USER_WHEN_ROOT, EmbeddedServices, ServiceState, free_port, pg_bin_dir
from ops.processes import run_command
from tests.conftest import ROOT
from tests.polling import eventually

pytestmark = pytest.mark.integration

OLD_TRUST_HBA = """local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
local replication all trust
host replication all 127.0.0.1/32 trust
host replication all ::1/128 trust
"""


@pytest.fixture
def services() -> Iterator[EmbeddedServices]:
    # A short directory of its own: Postgres's socket lives in it and a Unix socket path has at most 107 bytes,
    # which pytest's per-worker temp paths (…/popen-gw0/test_postgres_refuses_a_connec0/…) go past.
    with tempfile.TemporaryDirectory(prefix="yw-auth-") as short:
        embedded = EmbeddedServices(Path(short) / "data")
        yield embedded
        embedded.stop()


def without_secret(url: str) -> str:
    """The URL without its password (postgres://postgres@…) or its token (nats://…)."""
    parts = urlsplit(url)
    userinfo, host = parts.netloc.rsplit("@", 1)
    netloc = f"{userinfo.split(':')[0]}@{host}" if ":" in userinfo else host
    return parts._replace(netloc=netloc).geturl()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def refused_without_password(url: str) -> bool:
    try:
        conn = await asyncpg.connect(without_secret(url), timeout=5)
    except asyncpg.InvalidPasswordError:
        return True
    await conn.close()
    return False


async def test_postgres_refuses_a_connection_without_the_password(services: EmbeddedServices) -> None:
    started = services.start(nats=False)["postgres"]
    secret_file = services.root / "postgres-password"
    assert mode(secret_file) == 0o600
    password = secret_file.read_text().strip()
    assert urlsplit(started.url).password == password, "the DATABASE_URL handed out carries the password"
    assert password not in (services.root / "state.json").read_text(), "state.json keeps no secret"

    assert await refused_without_password(started.url), "TCP without the password is refused"
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(started.url.replace(password, "not-the-password"), timeout=5)
    with pytest.raises(asyncpg.InvalidPasswordError):  # the socket asks for it too
        await asyncpg.connect(host=str(Path(started.data)), port=started.port, user="postgres", timeout=5)
    conn = await asyncpg.connect(started.url, timeout=5)
    try:  # the legitimate user is still superuser of its own database
        assert await conn.fetchval("select rolsuper from pg_roles where rolname = current_user")
    finally:
        await conn.close()


async def test_nats_refuses_a_connection_without_the_token(services: EmbeddedServices) -> None:
    started = services.start(postgres=False)["nats"]
    token = (services.root / "nats-token").read_text().strip()
    assert mode(services.root / "nats-token") == 0o600 and mode(services.root / "nats.conf") == 0o600
    assert urlsplit(started.url).username == token, "the NATS_URL handed out carries the token"
    cmdline = (Path("/proc") / str(started.pid) / "cmdline").read_bytes()
    assert token.encode() not in cmdline, "the token is not on the command line (ps shows it to everyone)"
    assert auth.nats_requires_auth(started.port)

    for url in (without_secret(started.url), started.url.replace(token, "x" * len(token))):
        with pytest.raises(NatsError, match="Authorization Violation"):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=3)
    bus = await Bus(Settings(nats_url=started.url), name="auth-test").connect()
    try:  # the platform's own connection: JetStream and core NATS both work with the token
        await bus.ensure_streams()
        assert bus.connected
    finally:
        await bus.close()


async def test_a_trust_data_dir_of_an_earlier_version_is_secured_on_its_next_start(tmp_path: Path) -> None:
    """initdb --auth=trust exactly as earlier versions ran it; the next start sets the password and pg_hba."""
    services = EmbeddedServices(tmp_path / "old")
    pgdata = services.root / "postgres"
    pgdata.mkdir(parents=True)
    run_as = services._pg_os_user(pgdata, pg_bin_dir())
    if run_as:
        os.chown(pgdata, *_ids(run_as))
    initdb = [pg_bin_dir() / "initdb", "-D", pgdata, "--auth=trust", "--encoding=UTF8", "--locale=C"]
    run_command([*initdb, "-U", "postgres"], user=run_as, what="initdb")
    assert auth.trusts_anyone(pgdata)
    try:
        started = services.start(nats=False)["postgres"]
        assert not auth.trusts_anyone(pgdata) and mode(services.root / "postgres-password") == 0o600
        assert await refused_without_password(started.url)
        conn = await asyncpg.connect(started.url, timeout=5)
        await conn.close()
    finally:
        services.stop()


async def test_a_running_trust_server_is_secured_in_place_and_keeps_its_data(services: EmbeddedServices) -> None:
    """A server an earlier version started (trust, no password) and left running is reused and secured live."""
    first = services.start(nats=False)["postgres"]
    pgdata = Path(first.data)
    conn = await asyncpg.connect(first.url)
    await conn.execute("create table kept (v text); insert into kept values ('still here')")
    await conn.execute("alter role postgres password null")
    await conn.close()
    (pgdata / "pg_hba.conf").write_text(OLD_TRUST_HBA)  # in place: the file keeps its owner
    (services.root / "postgres-password").unlink()
    os.kill(first.pid, signal.SIGHUP)
    await eventually(lambda: _accepts_without_password(first.url), timeout=10, what="the old trust setup live")

    again = services.start(nats=False)["postgres"]
    assert again.pid == first.pid, "reused, not restarted"
    assert urlsplit(again.url).password != urlsplit(first.url).password, "a new password was made"
    await eventually(lambda: refused_without_password(again.url), timeout=10, what="the password required")
    conn = await asyncpg.connect(again.url)
    try:
        assert await conn.fetchval("select v from kept") == "still here"
    finally:
        await conn.close()
    services.stop()
    restarted = services.start(nats=False)["postgres"]  # and a plain restart uses the same password
    conn = await asyncpg.connect(restarted.url)
    await conn.close()
    assert restarted.url == again.url.replace(str(again.port), str(restarted.port))


async def test_a_running_nats_without_a_token_is_restarted_with_one_on_its_port(services: EmbeddedServices) -> None:
    """NATS as an earlier version started it (no auth); the next start restarts it with the token, same port."""
    port = free_port()
    store = services.root / "nats"
    store.mkdir(parents=True)
    binary = Path(sys.executable).parent / "nats-server"
    old = subprocess.Popen(  # noqa: ASYNC220 - a server process, reaped by the stop below
        [str(binary), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await eventually(lambda: _port_answers(port), timeout=30, what="the old nats listening")
        assert not auth.nats_requires_auth(port)
        services._write({"nats": ServiceState("nats", old.pid, port, f"nats://127.0.0.1:{port}", str(store))})
        started = services.start(postgres=False)["nats"]
        assert started.port == port and started.pid != old.pid
        assert auth.nats_requires_auth(port)
        with pytest.raises(NatsError, match="Authorization Violation"):
            await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, connect_timeout=3)
    finally:
        if old.poll() is None:
            old.kill()
        old.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another OS user")
async def test_as_root_only_the_postgres_user_may_pass_through_private_parents(tmp_path: Path) -> None:
    """DATA_DIR under directories only root may enter: the Postgres OS user gets a traverse-only ACL entry
    there, and any other user (here `nobody`) still cannot enter; no directory gains o+x."""
    private = tmp_path / "private"
    inner = private / "inner"
    inner.mkdir(parents=True)
    for d in (tmp_path, private, inner):
        d.chmod(0o700)
    services = EmbeddedServices(inner / "data")
    try:
        started = services.start(nats=False)["postgres"]
        conn = await asyncpg.connect(started.url)
        await conn.close()
        for d in (tmp_path, private, inner, services.root):
            assert d.stat().st_mode & 0o007 == 0, f"{d} gained permissions for every user"
        denied = await asyncio.to_thread(
            subprocess.run, ["ls", str(services.root)], user="nobody", capture_output=True, check=False
        )
        assert denied.returncode != 0 and b"Permission denied" in denied.stderr
        as_pg = await asyncio.to_thread(
            subprocess.run, ["ls", str(private)], user=PG_USER_WHEN_ROOT, capture_output=True, check=False
        )
        assert as_pg.returncode != 0, "the Postgres user may pass through, not list"
    finally:
        services.stop()


def test_services_status_shows_no_secret(services: EmbeddedServices) -> None:
    services.start()
    out = services_cli(services, "status", "--json")
    for name in ("postgres-password", "nats-token"):
        assert (services.root / name).read_text().strip() not in out
    assert "****@127.0.0.1" in out


def test_nats_monitoring_only_when_asked(services: EmbeddedServices) -> None:
    """The monitor answers without the token: it is not opened unless asked for."""
    nats = services.start()["nats"]
    assert nats.monitor is None and nats.profile is None
    listening = [c.laddr for c in psutil.Process(nats.pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert {a.port for a in listening} == {nats.port}
    assert "monitoring" not in services_cli(services, "status")


def test_nats_monitoring_answers_on_loopback_only(services: EmbeddedServices) -> None:
    """Asked for, ops read the embedded NATS's /varz and /jsz; like its client port, it listens on loopback only."""
    services.nats_monitor = "on"  # NATS_MONITOR=on
    nats = services.start()["nats"]
    assert nats.monitor is not None and nats.profile is None  # profiling only with NATS_MONITOR=profile
    with urllib.request.urlopen(f"http://127.0.0.1:{nats.monitor}/varz", timeout=10) as resp:
        varz = json.load(resp)
    assert varz["server_name"] == "yiwang" and varz["mem"] > 0 and "jetstream" in varz
    listening = [c.laddr for c in psutil.Process(nats.pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert {a.port for a in listening} >= {nats.port, nats.monitor}
    assert {a.ip for a in listening} == {"127.0.0.1"}
    shown = services_cli(services, "status")
    assert f"monitoring http://127.0.0.1:{nats.monitor}/varz" in shown


def services_cli(services: EmbeddedServices, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", ""), "DATA_DIR": str(services.root.parent), "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "ops", "services", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


async def _accepts_without_password(url: str) -> bool:
    return not await refused_without_password(url)


async def _port_answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def test_an_interrupted_start_leaves_no_server_running(
    services: EmbeddedServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after pg_ctl started the server but before its state was written (nobody could stop it later):
    the start stops it on the way out, and the next start works on the same data directory."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(auth, "create_database", interrupted)
        with pytest.raises(KeyboardInterrupt):
            services.start(nats=False)
    pidfile = services.root / "postgres" / "postmaster.pid"
    assert not pidfile.exists(), "the interrupted start left Postgres running"
    assert services.status().get("postgres") is None
    assert services.start(nats=False)["postgres"].port > 0


def test_resolve_stops_what_it_started_when_the_next_service_fails(
    services: EmbeddedServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`yiwang up` starting Postgres then failing (or interrupted) on NATS leaves neither running."""
    from ops.runtime import resolve

    def no_nats(self: EmbeddedServices, port: int) -> ServiceState:
        raise KeyboardInterrupt

    monkeypatch.setattr(EmbeddedServices, "_start_nats", no_nats)
    settings = Settings(data_dir=services.root.parent, database_url="", nats_url="")  # root: DATA_DIR/services
    with pytest.raises(KeyboardInterrupt):
        resolve(settings, start=True)
    assert {name for name, state in services.status().items() if state} == set()
    assert not (services.root / "postgres" / "postmaster.pid").exists()


async def test_the_servers_settings_are_its_config_files_so_a_reload_finds_no_error(
    services: EmbeddedServices,
) -> None:
    started = services.start(nats=False)["postgres"]  # a first start: initdb, the password set, a reload
    conn = await asyncpg.connect(started.url, timeout=5)
    try:
        assert await conn.fetchval("show max_connections") == "200"
        await conn.execute("select pg_reload_conf()")
    finally:
        await conn.close()
    services.stop()
    services.start(nats=False)
    pgdata = Path(started.data)
    log = (pgdata / "server.log").read_text(encoding="utf-8")
    assert "contains errors" not in log and "cannot be changed without restarting" not in log, log
    assert (pgdata / "postgresql.conf").read_text(encoding="utf-8").count("max_connections = 200") == 1


def test_a_port_taken_while_postgres_starts_is_traded_for_another_and_a_failure_shows_the_log(
    services: EmbeddedServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A free port is free only until someone binds it (CI workers, other services): the start moves to another
    once; a start that fails for good says what the server's log says (pg_ctl only says "Examine the log output")."""
    import socket

    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        monkeypatch.setattr("ops.embedded.free_port", lambda host="127.0.0.1": taken)  # a race, made certain
        with pytest.raises(core_errors.Upstream) as failed:
            services.start(nats=False)
        assert "pg_ctl start failed" in failed.value.message and "server.log ends:" in failed.value.message
        assert "could not bind" in failed.value.message or "in use" in failed.value.message
        monkeypatch.undo()
        ports = iter([taken, free_port()])  # taken first, as in the race; then one that is free
        monkeypatch.setattr("ops.embedded.free_port", lambda host="127.0.0.1": next(ports))
        state = services.start(nats=False)["postgres"]
        assert state.port not in (0, taken)
