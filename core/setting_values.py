"""How a setting's text is read: numbers, booleans and paths, `KEY=NUMBER` lists, and web origins."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from core.errors import Invalid

__all__ = ["SITES_ORIGINS", "convert", "cors_origin_list", "number_pairs", "web_origin"]


def number_pairs(name: str, raw: str) -> dict[str, int]:
    """`a=1,b=2` as {"a": 1, "b": 2}; Invalid naming the setting when a pair is malformed."""
    out: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        key, eq, value = pair.partition("=")
        if not eq or not key.strip() or not value.strip().lstrip("-").isdigit():
            raise Invalid(f"{name}: {pair!r} is not KEY=NUMBER")
        out[key.strip()] = int(value)
    return out


SITES_ORIGINS = "sites"  # in CORS_ORIGINS: the origins of every enabled site of the group


def cors_origin_list(raw: str) -> tuple[str, ...]:
    """CORS_ORIGINS as normalised entries: `sites`, or `scheme://host[:port]` (lower case, default port left out)."""
    out: list[str] = []
    for entry in filter(None, (e.strip() for e in raw.split(","))):
        if entry == SITES_ORIGINS:
            out.append(entry)
            continue
        normal = web_origin(entry)
        if normal is None:
            raise Invalid(
                f"CORS_ORIGINS: {entry!r} is not an origin like https://www.example.gov.cn (scheme, host and"
                " optional port, no path) nor the word `sites`"
            )
        out.append(normal)
    return tuple(out)


def web_origin(url: str) -> str | None:
    """The origin of an http(s) URL as browsers send it (`https://a.gov.cn`, `http://127.0.0.1:8080`); None for
    anything else, or for a URL with a path, query or user name when `url` is meant to be an origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme.lower() == "https" else 80
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None and port != default else "")


def convert(name: str, raw: str, kind: object) -> object:
    kind = str(kind)
    if kind.startswith("bool"):
        return _boolean(name, raw)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if "Path" in kind:
            return Path(raw)
    except ValueError:
        raise Invalid(f"{name.upper()}={raw!r} is not a valid {kind.split(' ')[0]}") from None
    if name == "log_level":
        return raw.upper()
    return raw


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise Invalid(f"{name.upper()}={raw!r} must be true or false")
