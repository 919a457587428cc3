"""`yiwang users` and `yiwang clients`: what an operator types, against the session's Postgres."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.audit import AuditEntry, AuditFilters, list_entries
from core.db import connect_pool
from core.settings import Settings, get_settings
from core.sites import add_site_if_missing
from ops.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def _env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": str(settings.database_url),
        "NATS_URL": str(settings.nats_url),
        "DATA_DIR": str(settings.data_dir),
    }


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    """`yiwang ARGS` in this process (a new interpreter per call costs seconds here); one test below runs the
    real command line once. Logging as the command sets it up is undone afterwards."""
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*args: str, stdin: str = "") -> Ran:
        get_settings.cache_clear()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    yield run
    root.handlers[:], _ = handlers, root.setLevel(level)
    get_settings.cache_clear()


def yiwang(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | _env(settings)
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_users_add_and_list(settings: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    name = f"corp{uuid.uuid4().hex[:6]}"
    args = f"users add {name} --name 郑州示例科技有限公司 --kind legal --real-name-level 2".split()
    args += ["--credit-code", "91410100MA44ABCD2X", "--password-stdin"]
    added = yiwang(settings, *args, stdin="a strong password 1\n")
    assert added.returncode == 0, added.stderr
    made = json.loads(added.stdout)
    assert made["username"] == name and made["kind"] == "legal"
    listed = cli("users", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    mine = next(r for r in rows if r["username"] == name)
    assert mine["id"] == made["id"] and mine["real_name_level"] == 2 and mine["credit_code"] == "91410100MA44ABCD2X"


def test_users_add_twice_is_a_conflict(cli) -> None:  # type: ignore[no-untyped-def]
    name = f"dup{uuid.uuid4().hex[:6]}"
    assert cli("users", "add", name, "--name", "某人", "--password-stdin", stdin="a good password\n").returncode == 0
    again = cli("users", "add", name, "--name", "x", "--password-stdin", stdin="another password\n")
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["--real-name-level", "5", "--password-stdin"], "a good password\n", "real-name level must be 0, 1, 2 or 3"),
        ([], "", "--password-stdin"),
        (["--password-stdin"], "", "nothing on stdin"),
        (["--password-stdin"], "short\n", "password must be"),
        (["--password-stdin", "--id-number-stdin"], "a good password\n", 'printf \'%s\\n%s\\n\' "$PW" "$ID_NUMBER"'),
    ],
)
def test_users_add_refuses_bad_input_with_exit_2(cli, args: list[str], stdin: str, says: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("users", "add", f"u{uuid.uuid4().hex[:6]}", "--name", "某人", *args, stdin=stdin)
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


async def _stored_site(settings: Settings) -> str:
    """A site of the group in the session's Postgres (a client's --site must name one)."""
    site = f"cli-{uuid.uuid4().hex[:6]}"
    pool = await connect_pool(settings, max_size=1)
    try:
        await add_site_if_missing(pool, site_id=site, name=f"站点{site}", level="市")
    finally:
        await pool.close()
    return site


def test_clients_add_prints_a_confidential_secret_once(cli, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client_id = f"site-{uuid.uuid4().hex[:6]}"
    site = asyncio.run(_stored_site(settings))
    args = f"clients add {client_id} --redirect-uri https://a.example/cb --redirect-uri https://a.example/cb2".split()
    out = cli(*args, "--site", site, "--backchannel-logout-uri", "https://a.example/bc")
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["client_id"] == client_id and len(shown["client_secret"]) >= 40
    listed = cli("clients", "list").stdout
    assert f"{client_id} " in listed and f" {site} " in listed
    assert "https://a.example/cb https://a.example/cb2" in listed
    assert shown["client_secret"] not in listed
    public = cli(
        "clients",
        "add",
        f"spa-{uuid.uuid4().hex[:6]}",
        "--redirect-uri",
        "http://localhost:3000/cb",
        "--public",
    )
    assert public.returncode == 0 and "client_secret" not in json.loads(public.stdout)
    bad = cli("clients", "add", "x-site", "--redirect-uri", "https://a.example/cb#frag")
    assert bad.returncode == 2 and "fragment" in bad.stderr
    taken = cli("clients", "add", client_id, "--redirect-uri", "https://a.example/cb")
    assert taken.returncode == 2 and "already registered" in taken.stderr


def test_clients_add_refuses_a_site_that_is_not_stored(cli) -> None:  # type: ignore[no-untyped-def]
    client_id = f"nosite-{uuid.uuid4().hex[:6]}"
    out = cli("clients", "add", client_id, "--redirect-uri", "https://a.example/cb", "--site", "nosuch")
    assert out.returncode == 2 and "site 'nosuch' is not a site of the group" in out.stderr, out
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert f"{client_id} " not in cli("clients", "list").stdout, "nothing registered"


def test_keys_rotate_makes_new_keys(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("keys", "rotate")
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    assert sorted(k.split("-")[0] for k in made["new_keys"]) == ["es256", "rs256"]
    assert made["retired_served_for_s"] > 0


def _claims(token: str) -> dict[str, object]:
    import base64

    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def _operator_trail(settings: Settings) -> list[AuditEntry]:
    pool = await connect_pool(settings, max_size=1)
    try:
        filters = AuditFilters(actor="operator", operation="users token")
        return (await list_entries(pool=pool, filters=filters, offset=0, limit=100)).items
    finally:
        await pool.close()


def test_users_token_prints_a_token_of_that_person_for_the_given_issuer(cli, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    name = f"tok-{uuid.uuid4().hex[:8]}"
    added = cli("users", "add", name, "--name", "某管理员", "--password-stdin", stdin="a good password\n")
    user_id = json.loads(added.stdout)["id"]
    ran = cli("users", "token", name, "--issuer", "http://127.0.0.1:18765")
    assert ran.returncode == 0, ran.stderr
    claims = _claims(ran.stdout.strip())
    assert claims["sub"] == user_id and claims["iss"] == claims["aud"] == "http://127.0.0.1:18765"
    assert claims["client_id"] == "yiwang-cli" and int(str(claims["exp"])) > int(str(claims["iat"]))
    assert any(e.arguments.get("username") == name for e in asyncio.run(_operator_trail(settings)))
    unknown = cli("users", "token", f"nobody-{uuid.uuid4().hex[:6]}")
    assert unknown.returncode == 2 and "no user named" in unknown.stderr
    schemeless = cli("users", "token", name, "--issuer", "127.0.0.1:18765")  # no API would take its tokens
    assert schemeless.returncode == 2 and "--issuer must be the API's http(s) base URL" in schemeless.stderr
    assert schemeless.stdout == ""
