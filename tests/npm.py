"""JavaScript tools the tests run (openid-client, gltf-validator, axe-core…), installed from the npm registry.

Each tool lives in a folder under tests/ with a committed package.json and package-lock.json. `installed(folder)`
runs `npm ci` once per lockfile into a cache under .yiwang/npm (reused across runs; a changed lockfile installs
again) and returns the node_modules directory. Nothing is fetched at run time of the platform itself, only here,
by the test command. A test skips with the reason when node or npm is absent (a user's machine without Node.js);
CI has both.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".yiwang" / "npm"
NPM_TIMEOUT_S = 600


def node() -> str:
    """The node executable; skips the test when there is none."""
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (CI has them)")
    return found


def installed(folder: Path) -> Path:
    """node_modules of `folder`'s lockfile, installed with `npm ci` into the cache on first use."""
    node()
    lock = folder / "package-lock.json"
    if not lock.is_file():
        raise FileNotFoundError(f"{lock} is missing: run `npm install --package-lock-only` in {folder}")
    digest = hashlib.sha256((folder / "package.json").read_bytes() + lock.read_bytes()).hexdigest()[:16]
    target = CACHE / f"{folder.name}-{digest}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{folder.name}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # pytest workers or two runs install once
        if not (target / ".done").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copy(folder / name, target / name)
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(target)],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm ci in {target} failed:\n{done.stderr[-2000:]}")
            (target / ".done").touch()
    return target / "node_modules"
