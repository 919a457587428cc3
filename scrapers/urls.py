"""URL canonicalisation, crawl scope and crawler-trap detection."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Always session state, never content.
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "aspsessionid", "sessionid", "session_id", "cfid", "cftoken"})
# `sid` is a session id on some CMSs and a site id on others: only drop it when it looks like a token.
SESSION_TOKEN = re.compile(r"[0-9A-Za-z_-]{16,}")
MATRIX_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/?#;]*", re.IGNORECASE)
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
PATH_SAFE = "/:@!$&'()*+,;="
QUERY_SAFE = "/:@!$'()*+,;?"
# A directory and its index page are one document: `/zcjd/index.html` is stored as `/zcjd/`.
INDEX_NAMES = frozenset(
    (
        "index.html",
        "index.htm",
        "index.shtml",
        "index.jsp",
        "index.php",
        "index.asp",
        "index.aspx",
        "default.html",
        "default.htm",
        "default.asp",
        "default.aspx",
    )
)


def canonicalize(url: str, base: str | None = None) -> str | None:
    """The canonical form of `url` (resolved against `base`), or None when it is not a crawlable http(s) URL."""
    url = url.strip()
    if base is not None:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    host = _host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None:
        netloc = f"{parts.netloc.rsplit('@', 1)[0]}@{netloc}"
    path = _remove_dot_segments(MATRIX_SESSION.sub("", parts.path)) or "/"
    return urlunsplit((scheme, netloc, _normalise_escapes(path, PATH_SAFE), _query(parts.query), ""))


def document_url(url: str, base: str | None = None) -> str | None:
    """The canonical URL of the document at `url`: canonicalize(), and a directory's index page named by the
    directory (`/zcjd/index.html` → `/zcjd/`, `/index.htm` → `/`; only without a query string, case-insensitive).

    Kept apart from canonicalize(): redirect-loop checks must still tell `/zcjd/` from `/zcjd/index.html`."""
    canonical = canonicalize(url, base)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    head, _, name = parts.path.rpartition("/")
    if parts.query or name.lower() not in INDEX_NAMES:
        return canonical
    return urlunsplit((parts.scheme, parts.netloc, head + "/", "", ""))


def host_of(url: str) -> str:
    """The host (with a non-default port) of an absolute URL, lowercased, as Scope and limiters key it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    scheme = parts.scheme.lower()
    return host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def _host(hostname: str) -> str | None:
    host = hostname.lower().rstrip(".")
    if host.isascii():
        return host or None
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") or not result else "/" + result


def _normalise_escapes(text: str, safe: str) -> str:
    """Decode escaped unreserved characters, uppercase the other escapes, escape what must be."""

    def unescape(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in UNRESERVED else "%" + m.group(1).upper()

    text = PERCENT.sub(unescape, text)
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and PERCENT.match(text, i):
            out.append(text[i : i + 3])
            i += 3
            continue
        if ch in UNRESERVED or ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        i += 1
    return "".join(out)


def _query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        name = key.lower()
        if name in SESSION_PARAMS or name.startswith("aspsessionid"):
            continue
        if name == "sid" and SESSION_TOKEN.fullmatch(value):
            continue
        pairs.append((_normalise_escapes(key, QUERY_SAFE), sep + _normalise_escapes(value, QUERY_SAFE + "=")))
    pairs.sort()
    return "&".join(k + v for k, v in pairs)


@dataclass(frozen=True)
class Scope:
    """Which URLs one crawl may visit: hosts (with port), path prefixes, exclusions and a maximum depth."""

    hosts: frozenset[str]
    path_prefixes: tuple[str, ...] = ("/",)
    excluded_prefixes: tuple[str, ...] = ()
    excluded_patterns: tuple[re.Pattern[str], ...] = ()
    max_depth: int = 8

    @classmethod
    def for_site(
        cls,
        start_url: str,
        *,
        extra_hosts: tuple[str, ...] = (),
        path_prefixes: tuple[str, ...] = ("/",),
        excluded_prefixes: tuple[str, ...] = (),
        excluded_patterns: tuple[str, ...] = (),
        max_depth: int = 8,
    ) -> Scope:
        hosts = frozenset({host_of(start_url), *(h.lower() for h in extra_hosts)})
        patterns = tuple(re.compile(p) for p in excluded_patterns)
        return cls(hosts, path_prefixes, excluded_prefixes, patterns, max_depth)

    def allows(self, url: str, depth: int = 0) -> str | None:
        """None when `url` at link depth `depth` is in scope, else the reason it is not."""
        canonical = canonicalize(url)
        if canonical is None:
            return "unsupported_url"
        if depth > self.max_depth:
            return "too_deep"
        parts = urlsplit(canonical)
        if host_of(canonical) not in self.hosts:
            return "off_host"
        if not any(parts.path.startswith(p) for p in self.path_prefixes):
            return "outside_prefix"
        if any(parts.path.startswith(p) for p in self.excluded_prefixes):
            return "excluded_prefix"
        if any(p.search(canonical) for p in self.excluded_patterns):
            return "excluded_pattern"
        return None


DATE_TOKEN = re.compile(
    r"(?<!\d)((?:19|20)\d{2})"
    r"(?:([-/_.])(1[0-2]|0?[1-9])(?:\2(3[01]|[12]\d|0?[1-9]))?|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])?)(?!\d)"
)
DATE_PARAMS = frozenset({"date", "day", "month", "year", "ym", "ymd", "yearmonth", "week"})
YEAR_VALUE = re.compile(r"(?:19|20)\d{2}|\d{1,2}")


@dataclass
class TrapDetector:
    """Remembers what a crawl has seen and refuses URLs that look like crawler traps."""

    max_url_length: int = 1024
    max_segments: int = 24
    max_repeats: int = 3
    max_query_variants: int = 300
    max_param_sets: int = 16
    max_calendar_steps: int = 31
    calendar_years: tuple[int, int] = field(default_factory=lambda: (1990, date.today().year + 2))
    _variants: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    _param_sets: dict[tuple[str, str], set[frozenset[str]]] = field(default_factory=lambda: defaultdict(set))
    _calendar: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def check(self, url: str) -> str | None:
        """None when `url` looks safe (and remember it), else the trap it looks like."""
        if len(url) > self.max_url_length:
            return "url_too_long"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > self.max_segments or _repeats(segments, self.max_repeats):
            return "path_repetition"
        reason = self._calendar_check(parts)
        if reason is not None:
            return reason
        if parts.query:
            key = (parts.netloc, parts.path)
            seen = self._variants[key]
            names = frozenset(item.partition("=")[0] for item in parts.query.split("&"))
            sets = self._param_sets[key]
            if parts.query not in seen and len(seen) >= self.max_query_variants:
                return "query_explosion"
            if names not in sets and len(sets) >= self.max_param_sets:
                return "query_explosion"
            seen.add(parts.query)
            sets.add(names)
        return None

    def _calendar_check(self, parts: SplitResult) -> str | None:
        found: list[str] = []
        years: list[int] = []

        def mark(m: re.Match[str]) -> str:
            found.append(m.group(0))
            years.append(int(m.group(1)))
            return "{date}"

        path = DATE_TOKEN.sub(mark, parts.path)
        query_items: list[str] = []
        for item in parts.query.split("&") if parts.query else []:
            name, sep, value = item.partition("=")
            if name.lower() in DATE_PARAMS and YEAR_VALUE.fullmatch(value):
                found.append(item)
                if len(value) == 4:
                    years.append(int(value))
                query_items.append(name + "={date}")
            else:
                query_items.append(name + sep + DATE_TOKEN.sub(mark, value))
        if not found:
            return None
        low, high = self.calendar_years
        if any(not low <= y <= high for y in years):
            return "calendar_out_of_range"
        template = f"{parts.netloc}{path}?{'&'.join(sorted(query_items))}"
        dates = self._calendar[template]
        value = "|".join(found)
        if value not in dates and len(dates) >= self.max_calendar_steps:
            return "calendar_trap"
        dates.add(value)
        return None


def _repeats(segments: list[str], times: int) -> bool:
    """True when some run of segments repeats `times` times in a row (/a/b/a/b/a/b)."""
    n = len(segments)
    for width in range(1, n // times + 1):
        for start in range(n - width * times + 1):
            block = segments[start : start + width]
            if all(segments[start + k * width : start + (k + 1) * width] == block for k in range(1, times)):
                return True
    return False
