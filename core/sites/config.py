"""The sites.yaml format: one entry a site, validated with messages that name the entry and field."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from core.errors import Invalid
from core.sites.ids import is_site_id

LEVELS = ("国家", "省", "市", "区县", "部门", "乡镇街道", "村社区")
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WHO_KEYS = ("id", "name", "level", "region", "department", "parent", "enabled")
_SCOPE_KEYS = ("start_urls", "allowed_hosts", "exclude", "feeds", "ckan", "allow_private")
_PACE_KEYS = ("schedule", "max_pages", "max_depth", "delay", "concurrency")
KNOWN_KEYS = frozenset(_WHO_KEYS + _SCOPE_KEYS + _PACE_KEYS)


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    """One site of the group as configured: where to start, what is in scope, how often to look."""

    id: str
    name: str
    level: str
    start_urls: list[str]
    allowed_hosts: list[str]
    region: str | None = None
    department: str | None = None
    parent: str | None = None
    exclude: list[str] = field(default_factory=list)
    schedule_s: int = 3600
    feeds: list[str] = field(default_factory=list)
    ckan: list[str] = field(default_factory=list)
    allow_private: list[str] = field(default_factory=list)  # address ranges this site's fetches may reach
    max_pages: int | None = None
    max_depth: int | None = None
    delay_s: float | None = None
    concurrency: int | None = None
    enabled: bool = True

    def crawl_config(self) -> dict[str, Any]:
        """The JSON stored in sites.config: what the crawler needs beyond the columns."""
        return {
            "start_urls": self.start_urls,
            "allowed_hosts": self.allowed_hosts,
            "exclude": self.exclude,
            "feeds": self.feeds,
            "ckan": self.ckan,
            "allow_private": self.allow_private,
            "max_pages": self.max_pages,
            "max_depth": self.max_depth,
            "delay_s": self.delay_s,
            "concurrency": self.concurrency,
        }


def parse_duration(value: object, where: str) -> int:
    if isinstance(value, int) and value > 0:
        return value
    match = DURATION.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise Invalid(f"{where}: schedule {value!r} is not a duration like 30s, 10m, 6h or 1d")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds < 10:
        raise Invalid(f"{where}: schedule must be at least 10s")
    return seconds


def _urls(entry: dict[str, Any], key: str, where: str, *, required: bool) -> list[str]:
    value = entry.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or (required and not value):
        raise Invalid(f"{where}: {key} must be a non-empty list of URLs")
    for url in value:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(f"{where}: {key} has {url!r}, which is not an http(s) URL")
    return [str(u) for u in value]


def _check_required(entry: dict[str, Any], where: str) -> None:
    unknown = sorted(set(entry) - KNOWN_KEYS)
    if unknown:
        raise Invalid(f"{where}: unknown keys {unknown}; allowed: {sorted(KNOWN_KEYS)}")
    for key in ("id", "name", "level", "start_urls"):
        if not entry.get(key):
            raise Invalid(f"{where}: {key} is required")
    if not is_site_id(str(entry["id"])):
        raise Invalid(f"{where}: id must be lower-case letters, digits and dashes (got {str(entry['id'])!r})")
    if entry["level"] not in LEVELS:
        raise Invalid(f"{where}: level must be one of {'/'.join(LEVELS)}, not {entry['level']!r}")


def _hosts(entry: dict[str, Any], start_urls: list[str], where: str) -> list[str]:
    hosts = entry.get("allowed_hosts") or sorted({urlsplit(u).netloc for u in start_urls})
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise Invalid(f"{where}: allowed_hosts must be a list of host[:port] names")
    return [h.lower() for h in hosts]


def _exclude(entry: dict[str, Any], where: str) -> list[str]:
    exclude = entry.get("exclude") or []
    if not isinstance(exclude, list):
        raise Invalid(f"{where}: exclude must be a list of path prefixes")
    return [str(e) for e in exclude]


def _ranges(entry: dict[str, Any], where: str) -> list[str]:
    """`allow_private`: the non-public address ranges (CIDR) the operator lets this site's fetches reach."""
    value = entry.get("allow_private") or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Invalid(f"{where}: allow_private must be a list of address ranges like 10.0.0.0/8")
    ranges = []
    for item in value:
        try:
            network = ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            raise Invalid(
                f"{where}: allow_private has {item!r}, which is not an address range like 10.0.0.0/8"
            ) from None
        if network.prefixlen == 0:
            raise Invalid(f"{where}: allow_private {item!r} would allow every address; name the range you need")
        ranges.append(str(network))
    return ranges


def _limits(entry: dict[str, Any], where: str) -> dict[str, int]:
    numbers = {}
    for key in ("max_pages", "max_depth", "concurrency"):
        if entry.get(key) is not None:
            if not isinstance(entry[key], int) or entry[key] < 1:
                raise Invalid(f"{where}: {key} must be a positive whole number")
            numbers[key] = entry[key]
    return numbers


def _delay(entry: dict[str, Any], where: str) -> float | None:
    delay = entry.get("delay")
    if delay is not None and (not isinstance(delay, int | float) or delay < 0):
        raise Invalid(f"{where}: delay must be a number of seconds ≥ 0")
    return float(delay) if delay is not None else None


def _site(entry: object, index: int) -> SiteConfig:
    if not isinstance(entry, dict):
        raise Invalid(f"sites[{index}] must be a mapping, not {type(entry).__name__}")
    where = f"sites[{index}]" + (f" ({entry['id']})" if "id" in entry else "")
    _check_required(entry, where)
    start_urls = _urls(entry, "start_urls", where, required=True)
    hosts = _hosts(entry, start_urls, where)
    exclude = _exclude(entry, where)
    numbers = _limits(entry, where)
    delay_s = _delay(entry, where)
    return SiteConfig(
        id=str(entry["id"]),
        name=str(entry["name"]),
        level=str(entry["level"]),
        start_urls=start_urls,
        allowed_hosts=hosts,
        region=str(entry["region"]) if entry.get("region") else None,
        department=entry.get("department"),
        parent=entry.get("parent"),
        exclude=exclude,
        schedule_s=parse_duration(entry.get("schedule", "1h"), where),
        feeds=_urls(entry, "feeds", where, required=False),
        ckan=_urls(entry, "ckan", where, required=False),
        allow_private=_ranges(entry, where),
        delay_s=delay_s,
        enabled=bool(entry.get("enabled", True)),
        **numbers,
    )


def parse_sites(text: str, source: str = "sites.yaml") -> list[SiteConfig]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise Invalid(f"{source} is not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sites"), list):
        raise Invalid(f"{source} must be a mapping with a `sites:` list")
    sites = [_site(entry, i) for i, entry in enumerate(doc["sites"])]
    seen: set[str] = set()
    for s in sites:
        if s.id in seen:
            raise Invalid(f"{source}: site id {s.id!r} appears twice")
        seen.add(s.id)
    for s in sites:
        if s.parent and s.parent not in seen:
            raise Invalid(f"{source}: site {s.id!r} names parent {s.parent!r}, which is not in the file")
    return sites


def load_sites_file(path: Path) -> list[SiteConfig]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Invalid(f"sites file {path} does not exist") from None
    except UnicodeDecodeError:
        raise Invalid(f"sites file {path} is not UTF-8 text") from None
    return parse_sites(text, source=str(path))
