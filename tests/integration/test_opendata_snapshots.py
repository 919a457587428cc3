"""What one open-data answer shows is read as of one moment while departments keep publishing: a browse of the
catalogue with its count and facets, data requests and applications with their totals, a dataset with its resources
(real Postgres)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
from datetime import UTC, datetime

import asyncpg
import pytest

from core.opendata import dcat, interaction, service
from core.opendata.ckan import ActionContext, Caller, package_show
from core.opendata.search import run_search, structured
from core.settings import Settings

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
ORG = f"snap-{RUN}"
BASE = "http://opendata-snapshots.test"
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


def revisions_shown(*texts: str) -> set[str]:
    """The revisions a dataset's answer names (its title and every resource carry the revision that wrote them)."""
    return {m for text in texts for m in re.findall(r"版本(\d+)", text)}


async def test_a_dataset_is_read_with_its_resources_as_of_one_moment(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    """A dataset page (`dataset`), its DCAT file, CKAN's package_show and a word search never show one revision's
    title beside another revision's resources while a department keeps revising it: the row and its resources are
    read in one statement."""
    opendata = dataclasses.replace(settings, opendata_site="opendata-snapshots")
    await service.ensure_domains(pg_pool, opendata)
    org = f"snaprev-{RUN}"  # a department of its own: the browse above counts its datasets
    await service.ensure_organization(pg_pool, name=org, title=f"修订测试局{RUN}")
    name, word = f"{org}-0", f"torn{RUN}"

    def revision(n: int) -> dict[str, object]:
        files = [{"name": f"版本{n}-{k}", "url": f"https://data.example/{n}-{k}.csv", "format": "CSV"} for k in (1, 2)]
        return {"title": f"{word} 版本{n}", "owner_org": org, "resources": files}

    await service.create_dataset(pool=pg_pool, bus=None, settings=opendata, data={"name": name, **revision(0)})
    admin = ActionContext(
        pool=pg_pool, settings=opendata, caller=Caller(is_admin=True), base_url=BASE, now=lambda: datetime.now(UTC)
    )
    torn: list[tuple[str, set[str]]] = []
    done = False

    async def revise() -> None:
        nonlocal done
        for n in range(1, 41):
            await service.patch_dataset(pool=pg_pool, bus=None, settings=opendata, data={"id": name, **revision(n)})
        done = True

    def check(where: str, *texts: str) -> None:
        if len(revisions_shown(*texts)) != 1:
            torn.append((where, revisions_shown(*texts)))

    async def read() -> None:
        while not done and len(torn) < READS:
            d = await service.get_dataset(pg_pool, name, is_admin=False)
            check("dataset", d.title, *(r.name for r in d.resources))
            check("dcat", await dcat.dataset_text(pg_pool, base=BASE, id_or_name=name, fmt="ttl"))
            shown = await package_show(admin, {"id": name})
            check("package_show", shown["title"], *(r["name"] for r in shown["resources"]))
            for d in (await run_search(pg_pool, structured(word, {}, start=0, rows=5, include_private=False))).datasets:
                check("search", d.title, *(r.name for r in d.resources))
            await asyncio.sleep(0)

    await asyncio.gather(revise(), read(), read(), read())
    assert torn == [], (sorted({where for where, _ in torn}), torn[:3])
    assert revisions_shown(*(r.name for r in (await service.get_dataset(pg_pool, name, is_admin=False)).resources)) == {
        "40"
    }
