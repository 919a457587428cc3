"""CKAN Action API harvest: package_search pages, then package_show per data set; the crawl hands the packages to
the open-data catalogue (core.opendata.harvest), which makes each one dataset and one `dataset` document."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapers.fetch import FetchResult

log = logging.getLogger(__name__)
Fetch = Callable[[str], Awaitable[FetchResult]]
RESOURCE_SCHEMES = ("http", "https")  # a portal's file:, ftp: or javascript: link is not a download for anyone


@dataclass
class Harvest:
    """What one harvest of a CKAN portal found: full package records, every fetch made, and why it stopped.
    `complete` when every package of the portal was read (no error, no cap reached): only then may the catalogue
    take a package missing from it as withdrawn."""

    base: str
    packages: list[dict[str, Any]] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    error: str | None = None
    complete: bool = False


class CkanHarvester:
    """Reads every data set of a CKAN portal through its Action API (v3), `rows` per search page."""

    def __init__(self, fetch: Fetch, *, rows: int = 100, max_datasets: int = 5000) -> None:
        self._fetch = fetch
        self._rows = rows
        self._max = max_datasets

    async def harvest(self, base: str) -> Harvest:
        out = Harvest(base.rstrip("/"))

        async def ask(action: str, **params: object) -> Any:
            res, reply, error = await self._action(out.base, action, **params)
            out.fetches.append(res)
            out.error = error or out.error
            return reply

        start = 0
        while len(out.packages) < self._max:
            page = await ask("package_search", rows=self._rows, start=start, sort="name asc")
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                break
            results = [r for r in page["results"] if isinstance(r, dict) and r.get("name")]
            room = self._max - len(out.packages)
            for summary in results[:room]:
                # Search results may omit resources (and do on some portals): package_show has them all.
                full = await ask("package_show", id=summary["name"])
                pkg = full if isinstance(full, dict) and full.get("name") else summary
                out.packages.append({**pkg, "resources": resources(pkg)})
            start += len(page["results"])
            if not page["results"] or start >= int(page.get("count") or 0):
                out.complete = out.error is None and len(results) <= room
                break
        return out

    async def _action(self, base: str, action: str, **params: object) -> tuple[FetchResult, Any, str | None]:
        """One Action API call: the fetch made, the call's result, and why there is none."""
        res = await self._fetch(f"{base}/api/3/action/{action}?{urlencode(params)}")
        if not res.ok or res.text is None:
            return res, None, res.error or "empty_body"
        try:
            reply = json.loads(res.text)
        except ValueError:
            res.error, res.detail = "bad_ckan_reply", "not JSON"
            return res, None, res.error
        if not isinstance(reply, dict) or not reply.get("success"):
            res.error, res.detail = "ckan_error", str(reply.get("error") if isinstance(reply, dict) else reply)[:200]
            return res, None, res.error
        return res, reply.get("result"), None


def resources(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's resources whose URL is http(s), as the portal wrote them; the others are logged and dropped."""
    out = []
    for r in pkg.get("resources") or []:
        if not isinstance(r, dict) or not r.get("url"):
            continue
        url = str(r["url"]).strip()
        if _scheme(url) not in RESOURCE_SCHEMES:
            log.warning(
                "ckan resource dropped: not an http(s) URL", extra={"dataset": pkg.get("name"), "url": url[:200]}
            )
            continue
        out.append({**r, "url": url, "name": str(r.get("name") or url.rsplit("/", 1)[-1])})
    return out


def _scheme(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return parts.scheme.lower() if parts.netloc else ""
