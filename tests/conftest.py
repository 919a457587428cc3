"""Shared fixtures: the corpus location, free ports, and network blocking for unit tests."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.services import bus, database_url, pg_pool, service_urls, settings  # noqa: F401 - fixtures

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


@pytest.fixture(autouse=True)
def _block_network_in_unit_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests may talk to loopback servers they start themselves, never to the outside world."""
    if "tests/unit" not in str(request.node.fspath).replace("\\", "/"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"unit tests must not reach the network (tried {address!r})")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
