"""The npm `openid-client` (pinned in package.json / package-lock.json) does discovery, code + PKCE, userinfo,
refresh and logout against the provider, through tests/interop/openid_client_flow.mjs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.interop.conftest import PASSWORD, Provider

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent
NPM_TIMEOUT_S = 240


async def _run(*args: str, env: dict[str, str] | None = None, timeout: float) -> tuple[int, str, str]:
    """Run a command without blocking this event loop (the provider is served by it)."""
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return int(proc.returncode or 0), out.decode(), err.decode()


async def installed() -> Path:
    """openid-client installed by `npm ci` into a cache directory named after the lock file's hash, so a
    second run (or an offline one, after the first) installs nothing."""
    lock = (HERE / "package-lock.json").read_bytes()
    where = Path(tempfile.gettempdir()) / f"yiwang-interop-npm-{hashlib.sha256(lock).hexdigest()[:12]}"
    if not (where / "node_modules" / "openid-client" / "package.json").is_file():
        where.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / name, where / name)
        npm = ("npm", "ci", "--prefix", str(where), "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts")
        code, _, err = await _run(*npm, timeout=NPM_TIMEOUT_S)
        assert code == 0, f"npm ci failed (needs the npm registry once, then its cache): {err[-2000:]}"
    shutil.copyfile(HERE / "openid_client_flow.mjs", where / "openid_client_flow.mjs")
    return where


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm are not installed")
async def test_openid_client_discovery_code_pkce_refresh_and_logout(provider: Provider) -> None:
    where = await installed()
    env = dict(os.environ) | {
        "ISSUER": provider.url,
        "CLIENT_ID": provider.client_id,
        "CLIENT_SECRET": provider.client_secret,
        "REDIRECT_URI": provider.redirect_uri,
        "POST_LOGOUT_REDIRECT_URI": provider.post_logout_redirect_uri,
        "USERNAME": provider.username,
        "PASSWORD": PASSWORD,
    }
    code, out, err = await _run("node", str(where / "openid_client_flow.mjs"), env=env, timeout=60)
    assert code == 0, err
    found = json.loads(out.strip().splitlines()[-1])
    assert found["issuer"] == provider.url, "the discovery document validated"
    assert (found["login_page"], found["login_status"]) == (200, 303)
    assert found["sub"] == str(provider.user_id) and found["name"] == "互通测试" and found["nonce_ok"]
    assert found["userinfo_username"] == provider.username
    assert found["refresh_rotated"] and found["old_refresh_refused"], "a rotated refresh token cannot be replayed"
    assert found["logout_status"] == 302
    assert found["logout_location"] == f"{provider.post_logout_redirect_uri}?state=bye"
    assert found["userinfo_after_logout"], "the access token stopped working with the session"
