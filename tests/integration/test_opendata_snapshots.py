"""What one open-data answer shows is read as of one moment while departments keep publishing: a browse of the
catalogue with its count and facets, data requests and applications with their totals (real Postgres)."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

import asyncpg
import pytest

from core.opendata import interaction, service
from core.opendata.search import run_search, structured
from core.settings import Settings

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
ORG = f"snap-{RUN}"
READS = 1000  # at most, per reader: enough to meet the writer between two statements many times


async def test_a_browse_and_the_requests_and_apps_agree_with_their_totals(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    """`datasets` without words (count and department facet beside the page), `dataRequests` and `apps` each answer
    a page and its total: a dataset, request or application committed meanwhile is in both or in neither."""
    opendata = dataclasses.replace(settings, opendata_site="opendata-snapshots")
    await service.ensure_domains(pg_pool, opendata)
    await service.ensure_organization(pg_pool, name=ORG, title=f"快照测试局{RUN}")
    first = await service.create_dataset(
        pool=pg_pool, bus=None, settings=opendata, data={"name": f"{ORG}-0", "title": "快照数据0", "owner_org": ORG}
    )
    torn: list[tuple[str, int, int]] = []
    writing = 3

    async def write_datasets() -> None:
        nonlocal writing
        for n in range(1, 51):
            data = {"name": f"{ORG}-{n}", "title": f"快照数据{n}", "owner_org": ORG}
            await service.create_dataset(pool=pg_pool, bus=None, settings=opendata, data=data)
        writing -= 1

    async def write_requests() -> None:
        nonlocal writing
        for n in range(30):
            await interaction.submit_request(
                pool=pg_pool, title=f"快照需求{n}", body="请开放", department=ORG, requester=f"snap-{RUN}"
            )
        writing -= 1

    async def write_apps() -> None:
        nonlocal writing
        for n in range(30):
            await interaction.register_app(
                pool=pg_pool,
                name=f"快照应用{n}",
                description="",
                url="https://app.example/",
                developer="快照",
                datasets=[first.name],
            )
        writing -= 1

    async def browse() -> None:
        q = structured("", {"organization": [ORG]}, start=0, rows=100, include_private=False, facets=["organization"])
        while writing and len(torn) < READS:
            found = await run_search(pg_pool, q)
            if not len(found.datasets) == found.count == found.facets["organization"].get(ORG, 0):
                torn.append(("datasets", len(found.datasets), found.count))
            await asyncio.sleep(0)

    async def requests() -> None:
        while writing and len(torn) < READS:
            items, total = await interaction.list_requests(
                pool=pg_pool, department=ORG, status=None, offset=0, limit=100
            )
            if len(items) != total:
                torn.append(("requests", len(items), total))
            await asyncio.sleep(0)

    async def apps() -> None:
        while writing and len(torn) < READS:
            items, total = await interaction.list_apps(pool=pg_pool, dataset_id=first.id, offset=0, limit=100)
            if len(items) != total:
                torn.append(("apps", len(items), total))
            await asyncio.sleep(0)

    await asyncio.gather(
        write_datasets(),
        write_requests(),
        write_apps(),
        browse(),
        browse(),
        browse(),
        browse(),
        requests(),
        requests(),
        apps(),
        apps(),
    )
    assert torn == [], torn[:3]
    found = await run_search(pg_pool, structured("", {"organization": [ORG]}, start=0, rows=100, include_private=False))
    assert found.count == len(found.datasets) == 51
