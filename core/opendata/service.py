"""Changing the catalogue: datasets created, patched, deleted; each a `dataset` document and a DatasetChanged.

A change is one transaction: the catalogue rows and the dataset's document (through core.documents' own
`apply_pages`, so the search projector indexes it under the scene 开放数据); the events go out after commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.bus import Bus, DatasetChanged, DocumentChanged, PageImported
from core.documents import apply_pages
from core.errors import NotFound
from core.opendata import store
from core.opendata.checks import NAME, NAME_MESSAGE, Checked, check_dataset, search_text
from core.opendata.models import Dataset
from core.opendata.params import ValidationError
from core.settings import Settings
from core.sites import add_site_if_missing

log = logging.getLogger(__name__)
ANNOUNCE_AT_ONCE = 50
# Slugs of the default domains (CKAN group names are ASCII); a configured domain not listed is domain-NN.
DOMAIN_SLUGS = {
    "公共安全": "public-safety",
    "民生服务": "livelihood",
    "经济建设": "economy",
    "教育科技": "education-science",
    "卫生健康": "health",
    "农业农村": "agriculture",
    "资源环境": "environment",
    "道路交通": "transport",
    "社会发展": "society",
    "城市建设": "urban-construction",
    "信用服务": "credit",
    "财税金融": "finance",
    "文化旅游": "culture-tourism",
    "机构团体": "institutions",
}


def domains(settings: Settings) -> list[tuple[str, str]]:
    """(slug, title) of each configured domain, in order."""
    titles = [t.strip() for t in settings.opendata_domains.split(",") if t.strip()]
    return [(DOMAIN_SLUGS.get(t, f"domain-{i + 1:02d}"), t) for i, t in enumerate(titles)]


async def ensure_domains(pool: asyncpg.Pool, settings: Settings) -> None:
    """The configured domains exist as groups; the site of the catalogue's documents exists."""
    async with pool.acquire() as conn:
        for slug, title in domains(settings):
            await store.ensure_group(conn, name=slug, title=title)
    await add_site_if_missing(pool, site_id=settings.opendata_site, name="政府数据开放平台", level="市")


@dataclass(frozen=True, kw_only=True)
class Saved:
    """A dataset as stored by one change, and the document change to announce after commit."""

    dataset: Dataset
    change: str
    document: DocumentChanged | None


async def _resolve(conn: asyncpg.Connection, checked: Checked) -> None:
    """Resolve owner_org and the domain to ids, in the checked values."""
    errors: dict[str, list[str]] = {}
    if checked.owner_org is not None:
        org_id = await store.find_organization_id(conn, checked.owner_org)
        if org_id is None:
            errors["owner_org"] = ["Organization does not exist"]
        checked.values["organization_id"] = org_id
    if checked.domain is not None:
        group_id = await store.find_group_id(conn, checked.domain)
        if group_id is None:
            errors["groups"] = [f"Group {checked.domain!r} does not exist"]
        checked.values["group_id"] = group_id
    if errors:
        raise ValidationError(errors)


def dataset_url(settings: Settings, name: str) -> str:
    return f"{settings.issuer}/dataset/{name}"


def page_event(settings: Settings, dataset: Dataset, *, gone: bool = False) -> PageImported:
    """The dataset as a `dataset` document: department as issuer and department, domain as theme."""
    meta: dict[str, Any] = {
        "issuer": dataset.organization.title,
        "department": dataset.organization.title,
        "theme": [dataset.domain.title] if dataset.domain else [],
        "tags": list(dataset.tags),
        "formats": sorted({r.format for r in dataset.resources if r.format}),
        "license": dataset.license_title or dataset.license_id,
        "update_frequency": dataset.frequency,
        "ckan_id": dataset.id,
        "ckan_name": dataset.name,
        "harvest_source": dataset.source,
    }
    attachments = [{"name": r.name, "url": r.url, "type": r.format.lower(), "size": r.size} for r in dataset.resources]
    text = "\n".join([dataset.notes, " ".join(dataset.tags)])
    content = {"title": dataset.title, "text": text, "meta": meta, "attachments": attachments}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    modified = dataset.metadata_modified or datetime.now(UTC)
    return PageImported(
        site_id=settings.opendata_site,
        url=dataset_url(settings, dataset.name),
        status=410 if gone else 200,
        content_hash=digest,
        fetched_at=modified.isoformat(),
        kind="dataset",
        title=dataset.title,
        text=text,
        published_at=modified.date().isoformat(),
        column=dataset.organization.title,
        meta=meta,
        attachments=attachments,
        gone=gone,
        source="dataset",
    )


async def _document(conn: asyncpg.Connection, settings: Settings, dataset: Dataset) -> DocumentChanged | None:
    gone = dataset.state != "active" or dataset.private
    changes = await apply_pages(conn, [page_event(settings, dataset, gone=gone)])
    return changes[0] if changes else None


async def save(conn: asyncpg.Connection, settings: Settings, checked: Checked, *, dataset_id: str | None) -> Saved:
    """Insert (no id) or update the dataset in the caller's transaction, with its resources and document."""
    await _resolve(conn, checked)
    if dataset_id is None:
        dataset_id = await store.insert_dataset(conn, checked.values)
        change = "created"
    else:
        await store.lock_dataset(conn, dataset_id)
        await store.update_dataset(conn, dataset_id, checked.values)
        change = "updated"
    if checked.resources is not None:
        await store.delete_resources(conn, dataset_id)
        for resource in checked.resources:
            await store.insert_resource(conn, dataset_id, resource)
    await store.refresh_formats(conn, dataset_id)
    await store.bump_changes(conn)
    row = await store.dataset_row(conn, dataset_id)
    assert row is not None
    merged = {"title": row["title"], "notes": row["notes"], "tags": list(row["tags"])}
    await store.update_search(conn, dataset_id, search_text(merged, row["o_title"], row["g_title"] or ""))
    dataset = (await store.datasets_by_ids(conn, [dataset_id]))[0]
    return Saved(dataset=dataset, change=change, document=await _document(conn, settings, dataset))


async def announce(bus: Bus | None, saved: Saved) -> None:
    """After commit: the document change (the search projector indexes it) and DatasetChanged."""
    if bus is None:
        return
    d = saved.dataset
    if saved.document is not None:
        await bus.publish(saved.document)
    at = (d.metadata_modified or datetime.now(UTC)).isoformat()
    await bus.publish(
        DatasetChanged(
            dataset_id=d.id,
            name=d.name,
            organization=d.organization.name,
            change=saved.change,
            revision=d.revision,
            at=at,
        )
    )


async def create_dataset(*, pool: asyncpg.Pool, bus: Bus | None, settings: Settings, data: Any) -> Dataset:
    """package_create: a new dataset (name unique) with its resources."""
    checked = check_dataset(data, creating=True)
    async with pool.acquire() as conn, conn.transaction():
        if await store.dataset_row(conn, checked.values["name"]) is not None:
            raise ValidationError({"name": ["That URL is already in use."]})
        saved = await save(conn, settings, checked, dataset_id=None)
    await announce(bus, saved)
    return saved.dataset


async def patch_dataset(*, pool: asyncpg.Pool, bus: Bus | None, settings: Settings, data: Any) -> Dataset:
    """package_patch: the fields given replace the stored ones; the rest stay."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValidationError({"id": ["Missing value"]})
    checked = check_dataset({k: v for k, v in data.items() if k != "id"}, creating=False)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.dataset_row(conn, data["id"])
        if row is None or row["state"] != "active":
            raise NotFound("Dataset not found")
        renamed = checked.values.get("name", row["name"]) != row["name"]
        if renamed and await store.dataset_row(conn, checked.values["name"]) is not None:
            raise ValidationError({"name": ["That URL is already in use."]})
        if checked.values.get("title") == "":  # a title cleared falls back to the name, as package_create's does
            checked.values["title"] = checked.values.get("name", row["name"])
        saved = await save(conn, settings, checked, dataset_id=row["id"])
    await announce(bus, saved)
    return saved.dataset


async def delete_dataset(*, pool: asyncpg.Pool, bus: Bus | None, settings: Settings, id_or_name: str) -> None:
    """package_delete: the dataset's state becomes `deleted` (kept, as CKAN keeps it); its document is gone."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.dataset_row(conn, id_or_name)
        if row is None or row["state"] != "active":
            raise NotFound("Dataset not found")
        await store.set_dataset_state(conn, row["id"], "deleted")
        await store.bump_changes(conn)
        dataset = (await store.datasets_by_ids(conn, [row["id"]]))[0]
        saved = Saved(dataset=dataset, change="deleted", document=await _document(conn, settings, dataset))
    await announce(bus, saved)


async def ensure_organization(pool: asyncpg.Pool, *, name: str, title: str, description: str = "") -> str:
    """A department (made, or retitled); its id."""
    if not NAME.match(name) or not 1 <= len(title) <= 200:
        raise ValidationError({"name": [NAME_MESSAGE]} if not NAME.match(name) else {"title": ["1 to 200 characters"]})
    return await store.ensure_organization(pool, name=name, title=title, description=description)


async def import_packages(
    *,
    pool: asyncpg.Pool,
    bus: Bus | None,
    settings: Settings,
    packages: list[dict[str, Any]],
    source: str = "local",
    files: Mapping[str, list[dict[str, Any]]] | None = None,
) -> int:
    """Create or update many datasets in one transaction (by name; a harvested one by its source and id), then
    announce them; returns how many changed. Used by the demo and by harvests of remote CKAN portals. `files`
    are, by dataset name, the resources of files the caller kept itself (`resources.keep_file`: the demo's):
    their values are stored as given, in place of the package's resources."""
    saved = []
    async with pool.acquire() as conn, conn.transaction():
        for data in packages:
            checked = check_dataset(data, creating=True)
            if files and data.get("name") in files:
                checked.resources = [dict(values) for values in files[data["name"]]]
            if source != "local":
                checked.values.update(source=source, source_id=str(data.get("id") or data["name"]))
            row = await store.dataset_row(conn, checked.values["name"])
            saved.append(await save(conn, settings, checked, dataset_id=row["id"] if row else None))
    for start in range(0, len(saved), ANNOUNCE_AT_ONCE):  # acks awaited together, not one round trip each
        await asyncio.gather(*(announce(bus, one) for one in saved[start : start + ANNOUNCE_AT_ONCE]))
    return len(saved)


async def get_dataset(pool: asyncpg.Pool, id_or_name: str, *, is_admin: bool) -> Dataset:
    """A dataset the caller may see (active and public; private ones to admins); NotFound otherwise."""
    found = await store.dataset(pool, id_or_name)  # the row and its resources in one statement: of one revision
    if found is None or found.state != "active" or (found.private and not is_admin):
        raise NotFound(f"no dataset {id_or_name!r}")
    return found
