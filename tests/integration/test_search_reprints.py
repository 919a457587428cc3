"""Reprints in search through real Postgres, NATS and tantivy: one hit per policy, its copies listed under it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged
from core.search import SearchRequest, SearchResult, admin
from core.search.models import Copy
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from tests.integration.search_fixtures import make_site, running, site_consumers
from tests.integration.test_policy_library import page
from tests.polling import eventually
from workers.policy_library import PolicyLibrary

pytestmark = pytest.mark.integration
# A policy of this test alone: clusters span sites, so another test's text would join its cluster.
TITLE = "示范市既有住宅加装电梯财政补助管理办法"
BODY = (
    "各区人民政府，市政府各部门：\n为改善老旧小区居民出行条件，规范既有住宅加装电梯财政补助，制定本办法。\n"
    "一、本市行政区域内四层及以上、未设电梯的既有住宅，经业主依法表决同意加装电梯的，可以申请财政补助。\n"
    "二、每台电梯按实际建设费用的40%给予补助，最高不超过25万元，由市、区两级财政各承担一半。\n"
    "三、申请人向街道办事处提交竣工验收材料和特种设备使用登记证明，区住房城乡建设部门审核后拨付。\n"
    "本办法自2024年5月1日起施行。"
)
META = {"doc_no": "示建发〔2024〕17号", "issuer": "示范市住房和城乡建设局", "published_date": "2024-04-10"}


async def search(engine: TantivyEngine, sites: list[str]) -> SearchResult:
    return await engine.search(SearchRequest(query=TITLE, filters={"site": sites}, limit=20, highlight=False))


def shown(result: SearchResult) -> list[tuple[str, tuple[Copy, ...]]]:
    return [(h.url, h.copies) for h in result.hits]


async def test_a_reprinted_policy_is_one_hit_listing_its_copies(
    pg_pool: asyncpg.Pool, bus: Bus, tmp_path: Path
) -> None:
    city, county = await make_site(pg_pool, level="市"), await make_site(pg_pool)
    sites = [city, county]
    engine, reader = TantivyEngine(tmp_path), TantivyEngine(tmp_path)  # the one writer; an API process's reader
    await reader.open()
    consumers: list[object] = []
    for site in sites:
        indexer, projector = site_consumers(pg_pool, bus, engine, site)
        library = PolicyLibrary(pg_pool, bus)
        library.name, library.subject = f"policy-library-{site}", f"{DocumentChanged.SUBJECT}.{site}"
        consumers += [indexer, library, projector]
    original = page(city, "zcwj/1.html", TITLE, BODY, kind="policy", meta=META)
    later = META | {"published_date": "2024-04-18"}  # the earliest publication is the canonical one
    reprint = page(county, "zcwj/9.html", TITLE, f"来源：示范市人民政府网站\n{BODY}\n（转载自示范市人民政府门户网站）",
                   kind="policy", meta=later)  # fmt: skip
    in_county = Copy(reprint.url, county)
    try:
        async with running(bus, *consumers):
            await bus.publish(original)
            await bus.publish(reprint)
            one = [(original.url, (in_county,))]
            found = await eventually(lambda: search(reader, sites), lambda r: shown(r) == one)
            assert found.total == 1 and found.hits[0].site == city
            # pinned for a query, the policy is shown by the service as the engine shows it: copies listed
            service = SearchService(reader, pool=pg_pool)
            try:
                await admin.pin_result(service.cache, query="加装电梯补助", document_id=found.hits[0].id, until=None)
                pinned = (await service.search("加装电梯补助", filters={"site": sites}, scenes=False)).hits[0]
            finally:
                await service.close()
            assert pinned.pinned and pinned.hit.url == original.url and pinned.hit.copies == (in_county,)

            await bus.publish(page(county, "zcwj/9.html", "", "", kind="policy", gone=True))
            await eventually(lambda: search(reader, sites), lambda r: shown(r) == [(original.url, ())])

            # The copy comes back (another header line: a new version), then the original disappears.
            back = page(county, "zcwj/9.html", TITLE, f"浏览次数：12\n{reprint.text}", kind="policy", meta=later)
            await bus.publish(back)
            await eventually(lambda: search(reader, sites), lambda r: shown(r) == one)
            await bus.publish(page(city, "zcwj/1.html", "", "", kind="policy", gone=True))
            promoted = await eventually(lambda: search(reader, sites), lambda r: shown(r) == [(reprint.url, ())])
            assert promoted.hits[0].site == county and promoted.total == 1
            # Every re-projection request was published and then forgotten.
            waiting = "select count(*) from document_reprojections r join documents d on d.id = r.document_id"
            await eventually(lambda: pg_pool.fetchval(waiting + " where d.site_id = any($1::text[])", sites),
                             lambda n: n == 0)  # fmt: skip
    finally:
        await engine.close()
        await reader.close()
