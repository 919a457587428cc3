"""Unit-test fixtures: no test under tests/unit reaches the network."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

LOOPBACK_NAMES = {"localhost"}


def is_loopback(address: object) -> bool:
    """True for a loopback (host, port, ...) address and for non-IP addresses (a Unix socket path)."""
    if not isinstance(address, tuple):
        return True
    host = str(address[0])
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving and reaching it is the network


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests may talk to loopback servers they start themselves, never to the outside world."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(address: object) -> None:
        if not is_loopback(address):
            raise RuntimeError(f"unit tests must not reach the network (tried {address!r})")

    def connect(self: socket.socket, address: Any) -> None:
        refuse(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        refuse(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
