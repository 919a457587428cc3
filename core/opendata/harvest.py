"""Remote CKAN catalogues (the crawler's CKAN connector reads them) landing in ours, each dataset marked with
its portal, so that a harvested package is one dataset and one searchable document (the catalogue's).

A remote package keeps its name unless a dataset of another source holds it (then the portal's short hash is
appended); once landed it keeps the name it got, found again by the portal's id for it. Its organization
becomes a department of the same name (made when missing); its groups map to our domains by title when one
matches; resources that are not http(s) are dropped. Landing is idempotent: a package whose landed form is
unchanged (a fingerprint kept in the dataset's extras) writes nothing and announces nothing; a changed one is
updated; after a complete harvest a package gone from the portal is marked `deleted` (kept, as CKAN keeps
deletions, its document gone from search) and comes back active if the portal lists it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from core.bus import Bus
from core.opendata import service, store
from core.opendata.checks import NAME, check_dataset
from core.opendata.params import ValidationError
from core.settings import Settings

log = logging.getLogger(__name__)
KEPT = ("name", "title", "notes", "tags", "license_id", "license_title", "version", "maintainer", "maintainer_email")
FINGERPRINT = "harvest_fingerprint"  # extras key: sha256 of the landed package, to skip unchanged ones
REMOTE_URL = "harvest_url"  # extras key: the package's page at its portal


@dataclass
class Landed:
    """What one landing of a harvest did, by the catalogue's dataset names."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, why)

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated) + len(self.withdrawn)


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:100]
    return slug if NAME.match(slug) else fallback


def portal_tag(base: str) -> str:
    return hashlib.sha256(base.encode()).hexdigest()[:6]


def _resources(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in pkg.get("resources") or []:
        if isinstance(r, dict) and re.match(r"^https?://", str(r.get("url") or ""), re.IGNORECASE):
            kept = {k: r[k] for k in ("name", "description", "format", "url", "mimetype") if isinstance(r.get(k), str)}
            size = r.get("size")
            out.append({**kept, **({"size": size} if isinstance(size, int) and size >= 0 else {})})
    return out


def local_package(base: str, pkg: dict[str, Any], domains: dict[str, str]) -> dict[str, Any]:
    """Our package dictionary for a remote one; `domains` maps a domain title to its group name."""
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    name = _slug(str(pkg.get("name") or ""), f"harvested-{portal_tag(base)}")
    out: dict[str, Any] = {k: pkg[k] for k in KEPT if isinstance(pkg.get(k), str | list)}
    out.update(name=name, id=pkg.get("id") or pkg.get("name") or name, private=False)
    out["owner_org"] = _slug(str((org or {}).get("name") or ""), f"portal-{portal_tag(base)}")
    titles = [g.get("title") or g.get("display_name") for g in pkg.get("groups") or [] if isinstance(g, dict)]
    domain = next((domains[t] for t in titles if t in domains), None)
    out["groups"] = [{"name": domain}] if domain else []
    out["resources"] = _resources(pkg)
    out["extras"] = [{"key": REMOTE_URL, "value": f"{base}/dataset/{pkg.get('name') or name}"}]
    return out


def fingerprint(local: dict[str, Any], org_title: str) -> str:
    """The landed form of a package (and its department's title): equal fingerprints, nothing to write."""
    content = json.dumps([local, org_title], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


async def _landed_before(pool: asyncpg.Pool, base: str) -> dict[str, asyncpg.Record]:
    """The portal's datasets already in the catalogue, by the portal's id for them."""
    rows = await pool.fetch(
        f"""select id::text, name, state, source_id, extras->>'{FINGERPRINT}' as fingerprint
            from opendata_datasets where source = $1""",
        base,
    )
    return {r["source_id"]: r for r in rows}


async def _land_one(
    pool: asyncpg.Pool, settings: Settings, local: dict[str, Any], row: asyncpg.Record | None, base: str
) -> service.Saved:
    """One package in one transaction: created, or updated (and active again) in place."""
    checked = check_dataset(local, creating=True)
    checked.values.update(source=base, source_id=str(local["id"]), state="active")
    async with pool.acquire() as conn, conn.transaction():
        return await service.save(conn, settings, checked, dataset_id=row["id"] if row else None)


async def _withdraw(pool: asyncpg.Pool, bus: Bus | None, settings: Settings, rows: list[asyncpg.Record]) -> list[str]:
    gone = []
    for row in rows:
        if row["state"] == "active":
            await service.delete_dataset(pool=pool, bus=bus, settings=settings, id_or_name=row["id"])
            gone.append(row["name"])
    return gone


async def _prepare(
    pool: asyncpg.Pool, base: str, pkg: dict[str, Any], domains: dict[str, str], row: asyncpg.Record | None
) -> tuple[dict[str, Any], str]:
    """The local package (named, its department made when missing) and its fingerprint."""
    local = local_package(base, pkg, domains)
    if row is not None:
        local["name"] = row["name"]
    else:
        holder = await store.dataset_row(pool, local["name"])
        if holder is not None and holder["source"] != base:
            local["name"] = f"{local['name'][:93]}-{portal_tag(base)}"
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    title = str((org or {}).get("title") or (org or {}).get("name") or base)[:200]
    if await store.find_organization_id(pool, local["owner_org"]) is None:
        await service.ensure_organization(pool, name=local["owner_org"], title=title)
    mark = fingerprint(local, title)
    local["extras"].append({"key": FINGERPRINT, "value": mark})
    return local, mark


async def import_remote(
    *,
    pool: asyncpg.Pool,
    bus: Bus | None,
    settings: Settings,
    base: str,
    packages: list[dict[str, Any]],
    complete: bool = False,
) -> Landed:
    """Land a harvest of the portal at `base` in the catalogue. `complete` says `packages` is the whole portal:
    then its datasets not among them are withdrawn (marked deleted); a partial or failed harvest withdraws none."""
    await service.ensure_domains(pool, settings)
    domains = {title: slug for slug, title in service.domains(settings)}
    before = await _landed_before(pool, base)
    out, saved, seen = Landed(), [], set()
    for pkg in packages:
        remote_id = str(pkg.get("id") or pkg.get("name") or "")
        if remote_id in seen:  # search pages that shifted while read may list a package twice
            continue
        seen.add(remote_id)
        row = before.get(remote_id)
        local, mark = await _prepare(pool, base, pkg, domains, row)
        if row is not None and row["state"] == "active" and row["fingerprint"] == mark:
            out.unchanged.append(local["name"])
            continue
        try:
            one = await _land_one(pool, settings, local, row, base)
        except ValidationError as exc:
            out.refused.append((local["name"], exc.message))
            log.warning(
                "harvested dataset refused", extra={"portal": base, "dataset": local["name"], "why": exc.message}
            )
            continue
        saved.append(one)
        (out.updated if row is not None else out.created).append(local["name"])
    for one in saved:
        await service.announce(bus, one)
    if complete:
        out.withdrawn = await _withdraw(pool, bus, settings, [r for k, r in before.items() if k not in seen])
    return out
