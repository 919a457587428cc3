"""Shared fixtures: the corpus location, free ports, and the services of tests/services.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.services import bus, database_url, pg_pool, service_urls, settings  # noqa: F401 - fixtures

pytest_plugins = ["tests.report_gc"]  # a failing test's report is made without garbage collection (see there)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus; tests that need it skip in a user's checkout where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (it is present in CI)")
    return CORPUS
