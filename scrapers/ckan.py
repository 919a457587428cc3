"""CKAN Action API harvest: package_search pages, package_show per data set, each a `dataset` event."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from core.bus import PageFetched
from scrapers.fetch import FetchResult
from scrapers.pages import digest, now_iso

log = logging.getLogger(__name__)
Fetch = Callable[[str], Awaitable[FetchResult]]
TEXT_CAP = 50_000
RESOURCE_SCHEMES = ("http", "https")  # a portal's file:, ftp: or javascript: link is not a download for anyone


@dataclass
class Harvest:
    """What one harvest of a CKAN portal found: full package records, every fetch made, and why it stopped."""

    base: str
    packages: list[dict[str, Any]] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    error: str | None = None


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
            for summary in results[: self._max - len(out.packages)]:
                # Search results may omit resources (and do on some portals): package_show has them all.
                full = await ask("package_show", id=summary["name"])
                out.packages.append(full if isinstance(full, dict) and full.get("name") else summary)
            start += len(page["results"])
            if not page["results"] or start >= int(page.get("count") or 0):
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


def _names(items: object, key: str = "display_name") -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(i.get(key) or i.get("title") or i.get("name")) for i in items if isinstance(i, dict)]


def resources(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's http(s) resources as attachments: name, url, format (as `type`, lower-cased) and size."""
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
        fmt = str(r.get("format") or "")
        size = r.get("size")
        name = str(r.get("name") or url.rsplit("/", 1)[-1])
        size = size if isinstance(size, int) else None
        out.append({"name": name, "url": url, "type": fmt.lower(), "format": fmt, "size": size})
    return out


def _scheme(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return parts.scheme.lower() if parts.netloc else ""


def dataset_event(site_id: str, base: str, pkg: dict[str, Any], crawl_id: int) -> PageFetched:
    """A CKAN package as a `dataset` document at the portal's dataset page."""
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    tags, groups = _names(pkg.get("tags")), _names(pkg.get("groups"))
    modified = str(pkg.get("metadata_modified") or "")[:10] or None
    meta = {
        "issuer": (org or {}).get("title"),
        "theme": "；".join(tags) or None,
        "tags": tags,
        "groups": groups,
        "license": pkg.get("license_title"),
        "ckan_id": pkg.get("id"),
        "ckan_name": pkg.get("name"),
        "portal": base,
        "metadata_created": pkg.get("metadata_created"),
        "metadata_modified": pkg.get("metadata_modified"),
    }
    meta = {k: v for k, v in meta.items() if v not in (None, [], "")}
    attachments = resources(pkg)
    title, text = str(pkg.get("title") or pkg.get("name")), str(pkg.get("notes") or "")
    return PageFetched(
        site_id=site_id,
        url=f"{base}/dataset/{pkg.get('name')}",
        status=200,
        content_hash=digest({"title": title, "text": text, "meta": meta, "attachments": attachments}),
        fetched_at=now_iso(),
        kind="dataset",
        title=title[:1000],
        text=text[:TEXT_CAP],
        published_at=modified,
        column=(org or {}).get("title"),
        meta=meta,
        attachments=attachments,
        crawl_id=crawl_id,
        source="dataset",
    )
