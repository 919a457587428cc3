"""A real browser for page tests: Debian's Chromium driven by Playwright for Python (no browser download).

Tests in this folder take `browser` (one headless Chromium per test module) and open their own pages; `axe(page)`
runs axe-core (bundled by the axe-playwright-python package) and returns the serious and critical violations.
They skip with the reason where Chromium or Playwright is absent (a user's machine); CI installs Chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parent.parent.parent / ".yiwang" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Sync Playwright keeps an event loop running in the main thread while it is open, so the browser lives
    for one module: a session-wide one would break every async test collected after tests/browser."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium package)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Where page tests save screenshots (kept after the run for a person to look at)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


def axe(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response.get("violations", [])
    return [v for v in violations if v.get("impact") in ("serious", "critical")]
