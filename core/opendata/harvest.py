"""Remote CKAN catalogues (issue 3's harvester reads them) landing in ours, each dataset marked with its portal.

A remote package keeps its name unless a dataset of another source holds it (then the portal's short hash is
appended); its organization becomes a department of the same name (made when missing); its groups map to our
domains by title when one matches; resources that are not http(s) are dropped, as the harvester drops them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import asyncpg

from core.bus import Bus
from core.opendata import service, store
from core.opendata.checks import NAME
from core.opendata.params import ValidationError
from core.settings import Settings

log = logging.getLogger(__name__)
KEPT = ("name", "title", "notes", "tags", "license_id", "license_title", "version", "maintainer", "maintainer_email")


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:100]
    return slug if NAME.match(slug) else fallback


def portal_tag(base: str) -> str:
    return hashlib.sha256(base.encode()).hexdigest()[:6]


def local_package(base: str, pkg: dict[str, Any], domains: dict[str, str]) -> dict[str, Any]:
    """Our package dictionary for a remote one; `domains` maps a domain title to its group name."""
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    name = _slug(str(pkg.get("name") or ""), f"harvested-{portal_tag(base)}")
    out: dict[str, Any] = {k: pkg[k] for k in KEPT if isinstance(pkg.get(k), str | list)}
    out.update(name=name, id=pkg.get("id") or name, private=False)
    out["owner_org"] = _slug(str((org or {}).get("name") or ""), f"portal-{portal_tag(base)}")
    titles = [g.get("title") or g.get("display_name") for g in pkg.get("groups") or [] if isinstance(g, dict)]
    domain = next((domains[t] for t in titles if t in domains), None)
    out["groups"] = [{"name": domain}] if domain else []
    resources = []
    for r in pkg.get("resources") or []:
        if isinstance(r, dict) and re.match(r"^https?://", str(r.get("url") or ""), re.IGNORECASE):
            kept = {k: r[k] for k in ("name", "description", "format", "url", "mimetype") if isinstance(r.get(k), str)}
            size = r.get("size")
            resources.append({**kept, **({"size": size} if isinstance(size, int) and size >= 0 else {})})
    out["resources"] = resources
    return out


async def import_remote(
    *, pool: asyncpg.Pool, bus: Bus | None, settings: Settings, base: str, packages: list[dict[str, Any]]
) -> tuple[int, list[tuple[str, str]]]:
    """Land a harvest of the portal at `base` in the catalogue; (datasets stored, [(name, why refused)])."""
    domains = {title: slug for slug, title in service.domains(settings)}
    refused: list[tuple[str, str]] = []
    ready = []
    for pkg in packages:
        local = local_package(base, pkg, domains)
        row = await store.dataset_row(pool, local["name"])
        if row is not None and row["source"] != base:
            local["name"] = f"{local['name'][:93]}-{portal_tag(base)}"
        org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
        title = str((org or {}).get("title") or (org or {}).get("name") or base)[:200]
        if await store.find_organization_id(pool, local["owner_org"]) is None:
            await service.ensure_organization(pool, name=local["owner_org"], title=title)
        ready.append(local)
    stored = 0
    for local in ready:
        try:
            stored += await service.import_packages(
                pool=pool, bus=bus, settings=settings, packages=[local], source=base
            )
        except ValidationError as exc:
            refused.append((local["name"], exc.message))
            log.warning("harvested dataset refused", extra={"portal": base, "dataset": local["name"]})
    return stored, refused
