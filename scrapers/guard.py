"""The outbound address guard: a fetch connects only to public addresses or to endpoints the configuration trusts."""

# Pages anyone can write on decide what the crawler and the link checker fetch, so every connection is
# checked where it is made: the connector asks the resolver for addresses, drops the refused ones and
# connects only to what is left (no second lookup for DNS rebinding to race). aiohttp skips the resolver
# for IP-literal URLs, so the connector checks its resolved list itself too, which covers literals, the
# DNS cache and every redirect hop, robots.txt's own redirects included.

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_PORTS = {"http": (80,), "https": (443,), "": (80, 443)}
# Cloud instance metadata and host services: never reached through a name, only through an explicit range.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "168.63.129.16", "fd00:ec2::254")
)
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
TEREDO = ipaddress.ip_network("2001::/32")
SITE_KEYS = ("start_urls", "allowed_hosts", "feeds", "ckan")

if not hasattr(aiohttp.TCPConnector, "_resolve_host"):  # the one private hook GuardedConnector overrides
    raise ImportError("aiohttp.TCPConnector._resolve_host is gone: scrapers.guard must be adapted")


def embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4 2002::/16, NAT64 64:ff9b::/96)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_class(ip: Address) -> str | None:
    """Why a fetch may not connect to `ip` ("loopback", "private", "metadata", ...), or None for a public address."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        return address_class(inner)
    if ip in METADATA:
        return "metadata"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("cgnat", ip in SHARED),
        ("private", any(ip in n for n in PRIVATE if n.version == ip.version) or _site_local(ip)),
        ("reserved", ip in TEREDO or ip.is_reserved or not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _site_local(ip: Address) -> bool:
    return isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local


@dataclass(frozen=True)
class Refusal:
    """A connection the guard refused: the address, its class and the host that named it."""

    host: str
    port: int
    address: str
    why: str

    def __str__(self) -> str:
        return f"{self.why}: {self.address} ({self.host}:{self.port})"


class RefusedAddress(OSError):
    """Every address of a host was refused; aiohttp wraps it in a ClientConnectorError (`os_error`)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"refused {refusal}")
        self.refusal = refusal


def _parse(address: str) -> Address | None:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses a fetch may reach: those of endpoints the configuration names, and ranges."""

    trusted: frozenset[tuple[str, int]] = frozenset()
    ranges: tuple[Network, ...] = ()

    def refusal(self, host: str, port: int, address: str) -> Refusal | None:
        """None when `host:port` may be reached at `address`, else what was refused and why."""
        ip = _parse(address)
        if ip is None:
            return Refusal(host, port, address, "unparsable")
        why = address_class(ip)
        if why is None or any(ip in r for r in self.ranges if r.version == ip.version):
            return None
        if why != "metadata" and (_host_key(host), port) in self.trusted:
            return None
        return Refusal(host, port, address, why)

    def allowed(self, host: str, port: int, found: list[ResolveResult]) -> list[ResolveResult]:
        """The addresses of `found` that may be connected to; raises RefusedAddress when none may."""
        kept: list[ResolveResult] = []
        refused: list[Refusal] = []
        for entry in found:
            why = self.refusal(host, port, entry["host"])
            if why is None:
                kept.append(entry)
            else:
                refused.append(why)
        if refused:
            log.warning("outbound address refused", extra={"refused": [str(r) for r in refused]})
        if not kept and refused:
            raise RefusedAddress(refused[0])
        return kept


def _host_key(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def endpoints(url_or_host: str) -> set[tuple[str, int]]:
    """The (host, port) pairs a configured URL or `host[:port]` names (both default ports for a bare host)."""
    text = url_or_host if "//" in url_or_host else f"//{url_or_host}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return set()
    if not parts.hostname:
        return set()
    ports = (port,) if port else DEFAULT_PORTS.get(parts.scheme.lower(), (80, 443))
    return {(_host_key(parts.hostname), p) for p in ports}


def site_policy(config: Mapping[str, Any], group: Iterable[Mapping[str, Any]] = ()) -> AddressPolicy:
    """The policy of one site: endpoints its configuration and its group's configurations name; its own ranges."""
    trusted: set[tuple[str, int]] = set()
    for cfg in (config, *group):
        for key in SITE_KEYS:
            for value in cfg.get(key) or ():
                trusted |= endpoints(str(value))
    ranges = tuple(ipaddress.ip_network(r, strict=False) for r in config.get("allow_private") or ())
    return AddressPolicy(frozenset(trusted), ranges)


class GuardedResolver(AbstractResolver):
    """Resolves with the default resolver and keeps only the addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return self._policy.allowed(host, port, await self._inner.resolve(host, port, family))

    async def close(self) -> None:
        await self._inner.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that connects only to addresses the policy allows, IP-literal URLs included."""

    def __init__(self, policy: AddressPolicy, *, resolver: AbstractResolver | None = None, **kwargs: Any) -> None:
        super().__init__(resolver=GuardedResolver(policy, resolver), **kwargs)
        self._resolver_owner = True  # the guarded resolver is ours: close() closes it (and the default one within)
        self.policy = policy

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[ResolveResult]:
        # aiohttp answers an IP literal here without asking the resolver: check every answer again.
        return self.policy.allowed(host, port, await super()._resolve_host(host, port, traces=traces))


def refusal_of(exc: BaseException) -> Refusal | None:
    """The guard's refusal behind an aiohttp connection error, if that is what it was."""
    cause = getattr(exc, "os_error", None) or exc.__cause__
    return cause.refusal if isinstance(cause, RefusedAddress) else None
