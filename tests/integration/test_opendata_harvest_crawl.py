"""A crawl harvesting a CKAN portal (HDX's real payloads, served as a portal) lands its packages in the open-data
catalogue marked with the portal: each one dataset and one searchable document; a re-crawl of unchanged packages
changes nothing, a changed package is updated in place, a package gone from the portal is withdrawn."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml
from aiohttp import web

from core.bus import Bus, PageFetched
from core.documents import get_document
from core.errors import NotFound
from core.opendata import service
from core.opendata.harvest import import_remote
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from scrapers.ckan import CkanHarvester
from scrapers.fetch import Fetcher
from tests.integration.crawling import add_site, crawl, html, serve, site_record, unique
from tests.integration.search_fixtures import running, site_consumers, site_hits
from tests.polling import eventually
from workers.indexer import Indexer

pytestmark = [pytest.mark.integration, pytest.mark.corpus]


def portal(packages: list[dict[str, Any]]) -> Any:
    """The two Action API calls the harvester makes, answered from `packages` as they are at the time."""

    async def action(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "package_search":
            start, rows = int(request.query.get("start", 0)), int(request.query.get("rows", 10))
            result: Any = {"count": len(packages), "results": packages[start : start + rows]}
        elif name == "package_show":
            found = [p for p in packages if p["name"] == request.query.get("id")]
            if not found:
                return web.json_response({"success": False, "error": {"__type": "Not Found Error"}}, status=404)
            result = found[0]
        else:
            return web.json_response({"success": False}, status=400)
        return web.json_response({"success": True, "result": result})

    async def home(_: web.Request) -> web.Response:
        return html("<html><title>数据门户</title><body><h1>数据门户</h1><p>数据门户的正文内容。</p></body></html>")

    def routes(app: web.Application) -> None:
        app.router.add_get("/api/3/action/{name}", action)
        app.router.add_get("/", home)

    return routes


async def live_copies(pool: asyncpg.Pool, base: str) -> list[str]:
    """URLs of the live documents of the portal's packages, on any site (the search index is their projection):
    the catalogue's, marked with the portal, and any the crawl would make at the portal's own URLs."""
    rows = await pool.fetch(
        "select url from documents where not gone and kind = 'dataset'"
        " and (metadata->>'harvest_source' = $1 or url like $1 || '/%')",
        base,
    )
    return sorted(r["url"] for r in rows)


async def landed(pool: asyncpg.Pool, base: str) -> dict[str, str]:
    """The portal's id of each package landed from it -> the catalogue's name (another test's harvest of the same
    payloads may hold the plain names: then ours carry the portal's tag)."""
    rows = await pool.fetch("select source_id, name from opendata_datasets where source = $1", base)
    return {r["source_id"]: r["name"] for r in rows}


async def legacy_copy(pool: asyncpg.Pool, bus: Bus, site_id: str, base: str) -> str:
    """A `dataset` document as crawls wrote them before the catalogue took harvests."""
    url = f"{base}/dataset/unesco-data-for-zimbabwe"
    meta = {"portal": base, "ckan_name": "unesco-data-for-zimbabwe"}
    event = PageFetched(
        site_id=site_id,
        url=url,
        status=200,
        content_hash="old",
        fetched_at="2026-01-01T00:00:00+00:00",
        kind="dataset",
        title="Zimbabwe - Education Indicators",
        text="old copy",
        meta=meta,
        source="dataset",
    )
    await Indexer(pool, bus).handle([event])
    return url


def hdx(corpus: Path) -> list[dict[str, Any]]:
    fixtures = corpus / "hdx-ckan-fixtures"
    search = yaml.safe_load((fixtures / "dataset_search_results.yaml").read_text("utf-8"))
    return [*search["results"], json.loads((fixtures / "unesco_dataset.json").read_text("utf-8"))]


async def test_crawl_lands_ckan_packages_in_the_catalogue_once(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, corpus: Path, tmp_path: Path
) -> None:
    packages = hdx(corpus)
    unesco = copy.deepcopy(packages[-1])
    libya_id = next(p["id"] for p in packages if p["name"] == "acled-conflict-data-for-libya")
    od_site = unique("od-harvest")
    opendata = dataclasses.replace(settings, public_url=f"http://{od_site}.test", opendata_site=od_site)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), od_site)
    async with serve(portal(packages)) as base, running(bus, indexer, projector):
        site_id = unique("ckan")
        await add_site(pg_pool, site_record(site_id, base, ckan=[base]))
        legacy = await legacy_copy(pg_pool, bus, site_id, base)
        first = await crawl(opendata, pg_pool, bus, site_id)
        again = await crawl(opendata, pg_pool, bus, site_id)
        names = await landed(pg_pool, base)
        shown = (await service.get_dataset(pg_pool, names[unesco["id"]], is_admin=False)).as_ckan()
        hits = await eventually(lambda: site_hits(reader, od_site), lambda r: r.total == 11)
        copies = await live_copies(pg_pool, base)

        packages[-1]["title"] = "Zimbabwe - Education Indicators (revised)"
        packages.remove(next(p for p in packages if p["name"] == "acled-conflict-data-for-libya"))
        third = await crawl(opendata, pg_pool, bus, site_id)
        after = await eventually(lambda: site_hits(reader, od_site), lambda r: r.total == 10)
    await reader.close()

    assert first.result.datasets == 11 and first.result.errors == 0
    assert first.result.changed == 11 + 1 + 1, "11 datasets created, the crawl's own old copy retired, the home page"
    assert shown["harvest_source"] == base and shown["organization"]["title"] == "UNESCO"
    assert {"key": "harvest_url", "value": f"{base}/dataset/unesco-data-for-zimbabwe"} in shown["extras"]
    assert len(shown["resources"]) == len(unesco["resources"])
    first_resource = shown["resources"][0]
    assert (first_resource["name"], first_resource["format"], first_resource["size"]) == (
        "National Monitoring data",
        "CSV",
        271466,
    )
    urls = sorted(service.dataset_url(opendata, n) for n in names.values())
    assert len(names) == 11 and sorted(h.url for h in hits.hits) == urls
    assert copies == urls, "each package one searchable document, the catalogue's"
    assert (await get_document(pg_pool, url=legacy)).gone
    assert [e for e in first.events if e.kind == "dataset" and not e.gone] == [], "the crawl writes none itself"

    assert again.result.datasets == 11 and again.result.changed == 0, "an unchanged re-harvest changes nothing"
    revised = await service.get_dataset(pg_pool, names[unesco["id"]], is_admin=False)
    assert third.result.changed == 2 and revised.title.endswith("(revised)") and revised.revision == 2
    libya = names[libya_id]
    with pytest.raises(NotFound):
        await service.get_dataset(pg_pool, libya, is_admin=False)
    assert service.dataset_url(opendata, libya) not in {h.url for h in after.hits}


async def test_only_a_complete_harvest_withdraws_and_a_listed_package_comes_back(
    settings: Settings, pg_pool: asyncpg.Pool, corpus: Path
) -> None:
    packages = hdx(corpus)
    async with serve(portal(packages)) as base, aiohttp.ClientSession() as session:
        fetch = Fetcher(session, user_agent="yiwang-test").fetch
        capped = await CkanHarvester(fetch, rows=4, max_datasets=5).harvest(base)
        full = await CkanHarvester(fetch, rows=4).harvest(base)
    assert (len(capped.packages), capped.complete, len(full.packages), full.complete) == (5, False, 11, True)
    od_site = unique("od-withdraw")
    opendata = dataclasses.replace(settings, public_url=f"http://{od_site}.test", opendata_site=od_site)

    async def land(pkgs: list[dict[str, Any]], complete: bool) -> Any:
        return await import_remote(
            pool=pg_pool, bus=None, settings=opendata, base=base, packages=pkgs, complete=complete
        )

    assert len((await land(full.packages, True)).created) == 11
    names = await landed(pg_pool, base)
    partial = await land(capped.packages, capped.complete)
    assert (partial.withdrawn, len(partial.unchanged)) == ([], 5), "a capped harvest withdraws nothing"
    libya_id = next(p["id"] for p in packages if p["name"] == "acled-conflict-data-for-libya")
    gone = await land([p for p in full.packages if p["id"] != libya_id], True)
    assert (gone.withdrawn, gone.changed) == ([names[libya_id]], 1)
    with pytest.raises(NotFound):
        await service.get_dataset(pg_pool, names[libya_id], is_admin=False)
    back = await land(full.packages, True)
    assert (back.updated, len(back.unchanged)) == ([names[libya_id]], 10), "listed again, active again"
    assert (await service.get_dataset(pg_pool, names[libya_id], is_admin=False)).source == base
    unesco = full.packages[-1]
    renamed = await land([{**unesco, "name": "unesco-zimbabwe-renamed"}], False)
    assert renamed.updated == [names[unesco["id"]]], "a renamed package keeps its dataset and name"
