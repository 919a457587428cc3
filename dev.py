#!/usr/bin/env python3
"""Bootstrap: make .venv, install yiwang into it when pyproject.toml changes, then run a task.

    python3 dev.py up      run the whole platform on the embedded default (demo site group included)
    python3 dev.py test    lint, type-check and run the whole test suite

Only the standard library is used here, so a fresh machine needs nothing but Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("YIWANG_VENV", ROOT / ".venv"))
BIN = VENV / "bin"
STAMP = VENV / ".yiwang-installed"


def _run(*cmd: str | Path) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_installed() -> None:
    """Create the virtualenv and (re)install the project when its dependencies changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit(f"yiwang needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing yiwang and its dependencies (first run takes a minute)", flush=True)
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run(*pip, "-e", f"{ROOT}[dev]") != 0:
        sys.exit("pip install failed: see the messages above")
    STAMP.write_text(wanted)


# What the page tests need from Debian, and a file each one installs: Chromium, a CJK font for its screenshots
# and text metrics, and espeak-ng for the portal's server read-aloud.
CI_PACKAGES = {
    "chromium": "/usr/bin/chromium",
    "fonts-wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "espeak-ng": "/usr/bin/espeak-ng",
}


def ensure_browser() -> None:
    """Under CI, install Debian's Chromium, a CJK font and espeak-ng when missing, so the browser and read-aloud
    tests run instead of skipping. On a user's machine nothing system-wide is installed: those tests skip and
    say why."""
    missing = [pkg for pkg, path in CI_PACKAGES.items() if not Path(path).exists()]
    if not os.environ.get("CI") or not missing or not shutil.which("apt-get"):
        return
    if os.geteuid() != 0:
        print(f"CI without root: {', '.join(missing)} not installed; the tests that need them will skip", flush=True)
        return
    print(f"installing {', '.join(missing)} for the browser tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.call(["apt-get", "install", "-y", "-q", *missing], env=env) != 0:
        subprocess.call(["apt-get", "update", "-q"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-q", *missing], env=env)


def _workers(args: list[str]) -> list[str]:
    """Two pytest-xdist workers, one per core of the CI machine, each with its own Postgres and NATS; test files
    stay whole on one worker (their module fixtures start servers). `-n …` or `-p no:xdist` in ARGS wins."""
    if "-n" in args or any(a.startswith(("-n", "--numprocesses")) for a in args) or "no:xdist" in args:
        return []
    count = os.environ.get("YIWANG_TEST_WORKERS", "2")
    return [] if count in {"0", "1"} else ["-n", count, "--dist", "loadfile"]


def test(args: list[str]) -> int:
    ensure_browser()
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy", "core", "schema", "api", "workers", "scrapers", "ops"],
        [BIN / "python", "-m", "pytest", *_workers(args), *args],
    ]
    for step in steps:
        print("$", " ".join(str(s) for s in step), flush=True)
        code = _run(*step)
        if code != 0:
            return code
    return 0


def main() -> None:
    task, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    if task not in {"up", "test", "install", "yiwang"}:
        print(__doc__)
        sys.exit(0 if task in {"help", "-h", "--help"} else 2)
    ensure_installed()
    if task == "test":
        sys.exit(test(args))
    if task == "install":
        return
    cli = [str(BIN / "yiwang"), *(["up"] if task == "up" else []), *args]
    os.execv(cli[0], cli)


if __name__ == "__main__":
    main()
