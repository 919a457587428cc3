"""Credentials of the embedded services: a generated secret per service in a 0600 file, Postgres's pg_hba
(scram-sha-256 for every connection), NATS's token config, and the least access the Postgres OS user gets
when yiwang runs as root (a traverse-only ACL entry for that one user, never o+x for everyone)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

from core.errors import Upstream

SECRET_FILES = {"postgres": "postgres-password", "nats": "nats-token"}
MIN_SECRET = 16
NATS_CONFIG = "nats.conf"

# POSIX ACL as the kernel stores it in the `system.posix_acl_access` xattr (linux/posix_acl_xattr.h).
ACL_XATTR = "system.posix_acl_access"
ACL_VERSION = 2
ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ACL_NO_ID = 0xFFFFFFFF
TRAVERSE = 0o1


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable and writable by its owner only (0600), replacing it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)


def read_secret(root: Path, service: str) -> str | None:
    """The service's secret when its file holds one (nothing is made)."""
    try:
        value = (root / SECRET_FILES[service]).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value if len(value) >= MIN_SECRET else None


def secret(root: Path, service: str) -> str:
    """The service's secret, made on first use (random, in a file its owner alone may read)."""
    path = root / SECRET_FILES[service]
    value = read_secret(root, service)
    if value is None:
        value = secrets.token_urlsafe(24)  # URL-safe: it goes into DATABASE_URL / NATS_URL unescaped
        write_private(path, value + "\n")
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return value


# -- postgres ------------------------------------------------------------------------------------
def write_hba(pgdata: Path, *, local: str, secret_file: Path) -> None:
    """pg_hba.conf: TCP always needs the password; the socket (in pgdata, 0700) uses `local`.

    Written in place so the file keeps its owner (the Postgres OS user when yiwang runs as root)."""
    lines = [
        f"# written by yiwang: connections need the password kept in {secret_file}",
        f"local all all {local}",
        "host all all 127.0.0.1/32 scram-sha-256",
        "host all all ::1/128 scram-sha-256",
        f"local replication all {local}",
        "host replication all 127.0.0.1/32 scram-sha-256",
        "host replication all ::1/128 scram-sha-256",
    ]
    with open(pgdata / "pg_hba.conf", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


# A Unix socket path holds at most 107 bytes; Postgres names its socket `.s.PGSQL.<port>` in its directory.
SOCKET_PATH_MAX = 107
SOCKET_NAME_MAX = len("/.s.PGSQL.65535")


def socket_dir(pgdata: Path, uid: int) -> Path:
    """Where the server's Unix socket lives: its data dir (0700), or, when that path is too long for a socket,
    a private directory under the system's temporary directory named after the data dir, owned by `uid`.

    The short directory is refused when someone else made it first or left it open to others: its socket
    trusts its owner until the password is set."""
    if len(os.fsencode(pgdata)) + SOCKET_NAME_MAX <= SOCKET_PATH_MAX:
        return pgdata
    digest = hashlib.sha256(os.fsencode(pgdata.resolve())).hexdigest()[:16]
    short = Path("/tmp") / f"yiwang-pg-{digest}"
    with contextlib.suppress(FileExistsError):
        short.mkdir(mode=0o700)
        os.chown(short, uid, -1)
    info = short.lstat()
    if not short.is_dir() or short.is_symlink() or info.st_uid != uid or info.st_mode & 0o077:
        raise Upstream(
            f"{short} (the embedded Postgres socket directory) belongs to someone else or is open to "
            "others: remove it, or use a shorter DATA_DIR"
        )
    return short


def trusts_anyone(pgdata: Path) -> bool:
    """Whether pg_hba.conf lets some connection in without a password (`trust`, as initdb --auth=trust wrote)."""
    try:
        text = (pgdata / "pg_hba.conf").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) > 3 and "trust" in words[3:]:
            return True
    return False


def create_database(bin_dir: Path, port: int, password: str, name: str) -> None:
    """Create the database `name` unless it exists (over TCP, with the password)."""
    sql = f"select 'create database \"{name}\"' where not exists "
    sql += f"(select 1 from pg_database where datname = '{name}')\\gexec\n"
    psql(bin_dir, host="127.0.0.1", port=port, password=password, sql=sql)


def psql(bin_dir: Path, *, host: str, port: int, password: str, sql: str, retry_s: float = 0.0) -> None:
    """Run `sql` as the superuser; the password goes by environment, the SQL by stdin (neither in `ps`)."""
    cmd = [str(bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port)]
    cmd += ["-U", "postgres", "-d", "postgres", "-f", "-"]
    env = {"PGPASSWORD": password, "PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    deadline = time.monotonic() + retry_s
    while True:
        out = subprocess.run(cmd, input=sql, env=env, capture_output=True, text=True, timeout=60, check=False)
        if out.returncode == 0:
            return
        if time.monotonic() >= deadline:
            raise Upstream(f"embedded postgres refused a command: {out.stderr.strip()[-500:]}")
        time.sleep(0.1)  # a reload of pg_hba.conf is taken by the server a moment after the signal


def reload_postgres(pgdata: Path) -> None:
    """SIGHUP to the postmaster: it reads pg_hba.conf again (needs no connection, so no password)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int((pgdata / "postmaster.pid").read_text().split()[0]), signal.SIGHUP)


# -- nats ----------------------------------------------------------------------------------------
def nats_config(root: Path) -> Path:
    """The NATS config holding the token (0600): on the command line it would show in `ps`."""
    path = root / NATS_CONFIG
    write_private(path, f'authorization {{ token: "{secret(root, "nats")}" }}\n')
    return path


def nats_requires_auth(port: int, host: str = "127.0.0.1") -> bool:
    """Whether the NATS server on `port` asks for credentials (its greeting's `auth_required`)."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            greeting = s.makefile("rb").readline(65536).decode("utf-8", "replace")
    except OSError:
        return False
    if not greeting.startswith("INFO "):
        return False
    with contextlib.suppress(ValueError):
        return bool(json.loads(greeting[5:]).get("auth_required"))
    return False


# -- access for the Postgres OS user when running as root ---------------------------------------
def grant_traverse(path: Path, uid: int) -> list[Path]:
    """Let the OS user `uid` pass through every ancestor of `path` it could not pass yet.

    A named-user ACL entry with search (x) only, on just those directories: other users gain nothing,
    and nobody gains the right to list them. Returns the directories changed."""
    changed = []
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_mode & 0o001 or st.st_uid == uid:
            continue
        try:
            _add_user_acl(parent, uid, TRAVERSE)
        except OSError as exc:
            if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
                raise Upstream(
                    f"the embedded Postgres runs as another OS user, which cannot enter {parent}, and that "
                    "filesystem has no ACLs: put DATA_DIR (and the virtualenv) where that user may pass, or set "
                    "DATABASE_URL"
                ) from exc
            raise
        changed.append(parent)
    return changed


def _add_user_acl(path: Path, uid: int, perm: int) -> None:
    try:
        raw = os.getxattr(path, ACL_XATTR)
        entries = {(tag, eid): p for tag, p, eid in struct.iter_unpack("<HHI", raw[4:])}
    except OSError as exc:
        if exc.errno != errno.ENODATA:
            raise
        mode = path.stat().st_mode
        entries = {
            (ACL_USER_OBJ, ACL_NO_ID): mode >> 6 & 7,
            (ACL_GROUP_OBJ, ACL_NO_ID): mode >> 3 & 7,
            (ACL_OTHER, ACL_NO_ID): mode & 7,
        }
    entries[(ACL_USER, uid)] = entries.get((ACL_USER, uid), 0) | perm
    # The mask bounds named entries and the owning group; it is their union, as setfacl computes it.
    mask = 0
    for (tag, _), p in entries.items():
        if tag in (ACL_USER, ACL_GROUP_OBJ, ACL_GROUP):
            mask |= p
    entries[(ACL_MASK, ACL_NO_ID)] = mask
    data = struct.pack("<I", ACL_VERSION) + b"".join(
        struct.pack("<HHI", tag, p, eid) for (tag, eid), p in sorted(entries.items())
    )
    os.setxattr(path, ACL_XATTR, data)
