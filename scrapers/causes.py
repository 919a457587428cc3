"""Why a connection failed, in a word a web office can act on: dns, refused, unreachable, timeout, tls, reset."""

from __future__ import annotations

import errno
import ssl

import aiohttp

# Failures that say nothing answered at all: when every off-site link fails with one of these, the network
# (not the links) is down. `tls` is not among them: something answered.
NETWORK_CAUSES = frozenset({"dns", "refused", "unreachable", "timeout", "reset", "connect"})
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def cause_of(exc: BaseException) -> str:
    """The cause of a failed connection or exchange; `connect` when it cannot be told."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return "tls"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError | ConnectionResetError | aiohttp.ClientConnectionResetError):
        return "reset"
    os_error = getattr(exc, "os_error", None) or exc.__cause__
    if isinstance(os_error, ssl.SSLError):
        return "tls"
    if isinstance(os_error, ConnectionRefusedError):
        return "refused"
    if isinstance(os_error, TimeoutError):
        return "timeout"
    if isinstance(os_error, OSError) and os_error.errno in _UNREACHABLE:
        return "unreachable"
    if isinstance(os_error, ConnectionResetError):
        return "reset"
    return "connect"
