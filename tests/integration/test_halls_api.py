"""The hall over the real API: GraphQL with service guides read from Postgres, the GLB over HTTP (ETag,
Cache-Control, Range), case files and the viewer page, and a layout change announced as HallChanged on NATS."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest
import uvicorn
from multidict import CIMultiDict

from api.app import create_app
from core.bus import Bus, HallChanged, PageFetched
from core.documents import apply_pages
from core.halls import HallLibrary, known_service_ids
from core.halls.library import ROOT
from core.settings import Settings
from ops.demo.generator import build_group
from ops.demo.render import SiteRenderer
from scrapers.extract.page import extract
from tests.conftest import free_port
from tests.integration.conftest import start_server
from tests.integration.crawling import add_site, unique
from tests.integration.graphql import ADMIN_TOKEN, gql, gql_data
from tests.polling import eventually

pytestmark = pytest.mark.integration

HALL = "demo-budongchan"
STORED = ("不动产登记资料查询", "住房公积金缴存登记")  # the guides this module stores; the others stay missing
DEMO_NOW = datetime(2024, 6, 30, 12, 0)


def _starlette(app: Any) -> Any:
    """The Starlette app under create_app's middlewares (each keeps the next in `.app`)."""
    while not hasattr(app, "state"):
        app = app.app
    return app


async def _store_guides(pool: asyncpg.Pool) -> dict[str, str]:
    """The demo portal's guides of STORED, rendered, extracted and applied as the indexer would; their URLs."""
    portal = next(c for c in build_group(DEMO_NOW) if c.spec.id == "demo-portal")
    site = unique("halls")
    base = "http://halls.test"
    await add_site(pool, {"id": site, "name": "大厅测试站", "level": "市", "start_urls": [f"{base}/"]})
    renderer = SiteRenderer(portal, {"demo-portal": base}, {"demo-portal": portal.spec.name})
    urls, events = {}, []
    for article in portal.articles():
        if article.guide is None or article.guide.item not in STORED:
            continue
        page = renderer.article(article, [])
        found = extract(page.body.decode("utf-8") if isinstance(page.body, bytes) else page.body, base + article.path)
        urls[article.guide.item] = base + article.path
        events.append(
            PageFetched(
                site_id=site,
                url=base + article.path,
                status=200,
                content_hash=f"h-{article.ident}",
                fetched_at=datetime.now(UTC).isoformat(),
                kind=found.kind,
                title=found.title,
                text=found.text,
                attachments=[dataclasses.asdict(a) for a in found.attachments],
            )
        )
    async with pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, events)
    return urls


@pytest.fixture(scope="module")
async def hall_api(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, Path, dict[str, str]]]:
    """An API whose hall library reads a copy of scene_assets (so a test may change a layout)."""
    urls = await _store_guides(pg_pool)
    root = tmp_path_factory.mktemp("scene")
    shutil.copytree(ROOT / "halls" / HALL, root / "halls" / HALL)
    port = free_port()
    app = create_app(dataclasses.replace(settings, port=port, broker_url="stub://", admin_token=ADMIN_TOKEN))
    _starlette(app).state.halls = HallLibrary(root)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = await start_server(server)
    try:
        yield f"http://127.0.0.1:{port}", root, urls
    finally:
        server.should_exit = True
        await task


HALL_QUERY = """query($id: ID!) { hall(id: $id) { id name address hotline gltfUrl viewerUrl etag sizeBytes
  floors { id name } transitStops { id name mode lines }
  pois { id name kind number position { x y floor } reminders
         services { id found title url materials timeLimit fee phone forms { title url } cases { title url } } }
  missingServices } }"""


async def test_the_hall_with_pois_tied_to_the_stored_service_guides(
    hall_api: tuple[str, Path, dict[str, str]], pg_pool: asyncpg.Pool
) -> None:
    url, _, guides = hall_api
    hall = (await gql_data(url, HALL_QUERY, {"id": HALL}))["hall"]
    assert hall["name"] == "示范市不动产登记中心" and hall["gltfUrl"] == f"/halls/{HALL}/hall.glb"
    assert re.fullmatch(r"[0-9a-f]{64}", hall["etag"]) and 0 < hall["sizeBytes"] < 1_000_000
    pois = {p["id"]: p for p in hall["pois"]}
    [query] = pois["window-1"]["services"]
    # Other modules may store the demo portal's same guide under their own host: the path is the same guide.
    assert query["found"] and urlsplit(query["url"]).path == urlsplit(guides["不动产登记资料查询"]).path
    assert query["title"] == "不动产登记资料查询办事指南"
    assert "《不动产登记资料查询申请表》" in query["materials"]
    assert query["timeLimit"].startswith("法定办结时限") and query["phone"]
    assert query["cases"] == [
        {"title": "不动产登记资料查询申请表（填写样例）", "url": f"/halls/{HALL}/cases/budongchan-chaxun.svg"}
    ]
    assert pois["window-1"]["position"] == {"x": 23.5, "y": 16.5, "floor": "F1"}
    # Other modules may store more of the demo portal's guides in the session's database: what is missing is
    # what no stored guide names, and a service without one says so.
    stored = await known_service_ids(pg_pool)
    listed = {
        "人才公寓申请（个人办理）",
        "住房公积金租房提取（网上办理）",
        "住房公积金个人住房贷款（网上办理）",
        "公积金异地转移接续",
    }
    assert set(hall["missingServices"]) == listed - stored
    [transfer] = pois["window-8"]["services"]
    assert transfer["id"] == "公积金异地转移接续" and transfer["found"] == ("公积金异地转移接续" in stored)
    if not transfer["found"]:
        assert transfer == {**transfer, "url": None, "materials": []}
    halls = (await gql_data(url, "{ halls { id } }"))["halls"]
    assert halls == [{"id": HALL}]


async def test_route_walkthrough_directions_and_where_for(hall_api: tuple[str, Path, dict[str, str]]) -> None:
    url, _, _ = hall_api
    query = """query($id: ID!) { hall(id: $id) {
      route(from: "entrance", to: "window-9") { fromPoi toPoi metres narration points { x y } steps { metres } }
      walkthrough(service: "不动产登记资料查询") { sequence metres window { id }
        stops { action reminders checklist poi { id kind } route { metres } } }
      directions(from: "metro-huizhan") { legs entrance { id } stop { lines walkMetres streetview } } } }"""
    hall = (await gql_data(url, query, {"id": HALL}))["hall"]
    route = hall["route"]
    assert route["fromPoi"] == "entrance" and route["toPoi"] == "window-9"
    assert 25 < route["metres"] < 40 and route["narration"].endswith("到达9号窗口（档案查询）")
    assert route["points"][0] == {"x": 24.0, "y": 1.5} and route["points"][-1] == {"x": 7.0, "y": 25.0}
    walk = hall["walkthrough"]
    assert walk["sequence"] == "南门入口 → 取号机 → 等候区 → 1号窗口 → 东门出口"
    assert [s["poi"]["kind"] for s in walk["stops"]] == ["entrance", "ticket", "waiting", "window", "exit"]
    window = walk["stops"][3]
    assert "《不动产登记资料查询申请表》" in window["checklist"]
    assert "查询他人名下不动产需提供利害关系证明" in window["reminders"]
    assert hall["directions"]["legs"][0] == "乘地铁1号线到地铁1号线会展城站"
    assert hall["directions"]["entrance"] == {"id": "entrance"}
    where = await gql_data(
        url, '{ whereFor(service: "住房公积金缴存登记") { hall { id } window { name } route { metres narration } } }'
    )
    [hit] = where["whereFor"]
    assert hit["hall"] == {"id": HALL} and hit["window"]["name"] == "5号窗口"
    assert hit["route"]["narration"].endswith("到达5号窗口")


async def test_a_route_upstairs_has_a_leg_per_floor(hall_api: tuple[str, Path, dict[str, str]]) -> None:
    url, _, _ = hall_api
    query = """{ hall(id: "demo-budongchan") {
      up: route(from: "entrance", to: "window-10") { metres narration points { x y floor }
        legs { floor metres points { x y } } steps { instruction metres to { floor } } }
      flat: route(from: "entrance", to: "window-9") { metres legs { floor metres } }
      stairs: pois(kind: "stairs") { id connects position { floor } } } }"""
    hall = (await gql_data(url, query))["hall"]
    up = hall["up"]
    assert [leg["floor"] for leg in up["legs"]] == ["F1", "F2"]
    downstairs, upstairs = up["legs"]
    assert downstairs["points"][0] == {"x": 24.0, "y": 1.5} and downstairs["points"][-1] == {"x": 3.0, "y": 3.5}
    assert upstairs["points"][0] == {"x": 3.0, "y": 3.5} and upstairs["points"][-1] == {"x": 9.0, "y": 18.5}
    assert up["points"][0]["floor"] == "F1" and up["points"][-1] == {"x": 9.0, "y": 18.5, "floor": "F2"}
    ride = next(s for s in up["steps"] if s["instruction"] == "从楼梯上到二层")
    assert ride["to"]["floor"] == "F2" and ride["metres"] == 9.0  # a 4.5 m rise, walked as a 9 m flight
    assert up["metres"] == pytest.approx(downstairs["metres"] + 9.0 + upstairs["metres"], abs=0.15)
    assert up["narration"].endswith("到达10号窗口（档案查阅）")
    assert hall["flat"]["legs"] == [{"floor": "F1", "metres": hall["flat"]["metres"]}]  # one floor: one leg
    assert hall["stairs"] == [
        {"id": "stairs-f1", "connects": ["stairs-f2"], "position": {"floor": "F1"}},
        {"id": "stairs-f2", "connects": ["stairs-f1"], "position": {"floor": "F2"}},
    ]


ASK_WHERE = """query($q: String!) { ask(question: $q) { kind
  where { hall { id } service window { name } route { metres narration } } } }"""


async def test_ask_where_to_go_answers_with_the_window_and_the_route(
    hall_api: tuple[str, Path, dict[str, str]],
) -> None:
    url, _, _ = hall_api
    asked = (await gql_data(url, ASK_WHERE, {"q": "住房公积金缴存登记在哪里办？"}))["ask"]
    [hit] = asked["where"]
    assert hit["hall"] == {"id": HALL} and hit["service"] == "住房公积金缴存登记"
    assert hit["window"]["name"] == "5号窗口" and hit["route"]["narration"].endswith("到达5号窗口")
    assert hit["route"]["metres"] > 0
    materials = (await gql_data(url, ASK_WHERE, {"q": "住房公积金缴存登记要带什么材料"}))["ask"]
    assert materials["where"] == [], "a question that does not ask where gets no directions"
    elsewhere = (await gql_data(url, ASK_WHERE, {"q": "护照在哪里办"}))["ask"]
    assert elsewhere["where"] == [], "no hall serves it: no made-up window"


@pytest.mark.parametrize(
    ("query", "code", "says"),
    [
        ('{ hall(id: "nope") { id } }', "NOT_FOUND", "no hall 'nope'"),
        ('{ hall(id: "../etc") { id } }', "NOT_FOUND", "no hall '../etc'"),
        (
            f'{{ hall(id: "{HALL}") {{ route(from: "entrance", to: "window-99") {{ metres }} }} }}',
            "NOT_FOUND",
            "no POI 'window-99' (the destination",
        ),
        (
            f'{{ hall(id: "{HALL}") {{ walkthrough(service: "办护照") {{ sequence }} }} }}',
            "NOT_FOUND",
            "serves '办护照'",
        ),
        (f'{{ hall(id: "{HALL}") {{ walkthrough(service: "") {{ sequence }} }} }}', "BAD_INPUT", "service must be"),
        (f'{{ hall(id: "{HALL}") {{ directions(from: "taxi") {{ legs }} }} }}', "NOT_FOUND", "no transit stop"),
        ('{ whereFor(service: "办护照") { service } }', "NOT_FOUND", "no hall has a window for '办护照'"),
        ("{ halls(pageSize: 0) { id } }", "BAD_INPUT", "pageSize must be between 1 and 50"),
    ],
)
async def test_bad_input_is_a_coded_error(
    hall_api: tuple[str, Path, dict[str, str]], query: str, code: str, says: str
) -> None:
    body = await gql(hall_api[0], query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == code and says in error["message"], error


async def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, CIMultiDict[str], bytes]:
    """Status, headers (case-insensitive) and body of a GET."""
    async with aiohttp.ClientSession() as s, s.get(url, headers=headers or {}) as r:
        return r.status, CIMultiDict(r.headers), await r.read()


async def test_the_glb_has_etag_cache_control_and_ranges(hall_api: tuple[str, Path, dict[str, str]]) -> None:
    url = f"{hall_api[0]}/halls/{HALL}/hall.glb"
    status, headers, whole = await _get(url)
    assert status == 200 and whole[:4] == b"glTF"
    assert headers["Content-Type"] == "model/gltf-binary" and headers["Accept-Ranges"] == "bytes"
    assert "max-age" in headers["Cache-Control"]
    etag = headers["ETag"]
    status, _, body = await _get(url, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    for listed in (f"W/{etag}", f'"other", W/{etag}'):  # If-None-Match compares weakly (RFC 9110 13.1.2)
        status, _, body = await _get(url, {"If-None-Match": listed})
        assert (status, body) == (304, b""), listed
    status, headers, body = await _get(url, {"Range": "bytes=0-99"})
    assert status == 206 and body == whole[:100] and headers["Content-Range"] == f"bytes 0-99/{len(whole)}"
    status, headers, body = await _get(url, {"Range": "bytes=-12"})
    assert status == 206 and body == whole[-12:]
    status, _, body = await _get(url, {"Range": f"bytes={len(whole) - 5}-"})
    assert status == 206 and body == whole[-5:]
    status, _, body = await _get(url, {"Range": "bytes=0-99", "If-Range": '"stale"'})
    assert status == 200 and body == whole
    status, _, body = await _get(url, {"Range": "bytes=0-" + "9" * 5000})  # to the end, not a 500
    assert status == 206 and body == whole
    status, _, body = await _get(url, {"Range": "bytes=-" + "9" * 5000})
    assert status == 206 and body == whole
    status, _, body = await _get(url, {"Range": "bytes=" + "0" * 5000 + "3-9"})
    assert status == 206 and body == whole[3:10]


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-10", "bytes=50-10", "bytes=0-1,5-6", "bytes=-", "bytes 0-1"])
async def test_a_range_we_cannot_read_sends_the_whole_model(
    hall_api: tuple[str, Path, dict[str, str]], header: str
) -> None:
    status, headers, body = await _get(f"{hall_api[0]}/halls/{HALL}/hall.glb", {"Range": header})
    assert status == 200 and body[:4] == b"glTF" and "Content-Range" not in headers


@pytest.mark.parametrize(
    "header", ["bytes=99999999-", "bytes=99999999-100000000", "bytes=-0", "bytes=" + "9" * 5000 + "-"]
)
async def test_a_range_past_the_end_is_416(hall_api: tuple[str, Path, dict[str, str]], header: str) -> None:
    url = f"{hall_api[0]}/halls/{HALL}/hall.glb"
    size = len((await _get(url))[2])
    status, headers, _ = await _get(url, {"Range": header})
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}"


async def test_case_files_viewer_and_unknown_paths(hall_api: tuple[str, Path, dict[str, str]]) -> None:
    base = hall_api[0]
    status, headers, body = await _get(f"{base}/halls/{HALL}/cases/budongchan-chaxun.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in body
    status, headers, body = await _get(f"{base}/halls/{HALL}/")
    page = body.decode()
    assert status == 200 and "<canvas" in page and "&quot;hall&quot;: &quot;demo-budongchan&quot;" in page
    status, headers, _ = await _get(f"{base}/halls/static/viewer.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    for path in (
        f"/halls/{HALL}/hall.yaml",
        f"/halls/{HALL}/cases/../hall.yaml",
        "/halls/nope/hall.glb",
        "/halls/nope/",
        "/halls/static/../app.py",
        "/halls/static/viewer.html",
    ):
        status, _, body = await _get(base + path)
        assert status == 404, path
        assert b"hall:" not in body  # no layout text leaks


async def test_a_layout_change_rebuilds_and_announces_hall_changed(
    hall_api: tuple[str, Path, dict[str, str]], bus: Bus
) -> None:
    url, root, _ = hall_api
    glb = f"{url}/halls/{HALL}/hall.glb"
    before = (await _get(glb))[1]["ETag"]
    layout = root / "halls" / HALL / "hall.yaml"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace("at: [24, 1.5]", "at: [24, 1.75]", 1), encoding="utf-8")
    try:
        status, headers, body = await _get(glb)
        assert status == 200 and headers["ETag"] != before and body[:4] == b"glTF"
    finally:
        layout.write_text(text, encoding="utf-8")
    subject = f"{HallChanged.SUBJECT}.{HALL}"

    async def announced() -> HallChanged | None:
        last = HallChanged.decode((await bus.js.get_last_msg("YW_HALL", subject)).data)
        return last if f'"{last.glb_sha256}"' == headers["ETag"] else None

    event = await eventually(announced, timeout=10, what="HallChanged for the new GLB in YW_HALL")
    assert event.hall_id == HALL and event.size == len(body)
    # the layout is back: the hall reads it again and serves the first model's hash
    hall = await gql_data(url, '{ hall(id: "demo-budongchan") { etag pois(kind: "entrance") { position { y } } } }')
    assert f'"{hall["hall"]["etag"]}"' == before and hall["hall"]["pois"][0]["position"]["y"] == 1.5


async def test_only_this_site_may_frame_the_viewer(hall_api: tuple[str, Path, dict[str, str]]) -> None:
    status, headers, _ = await _get(f"{hall_api[0]}/halls/{HALL}/")
    csp = [d.strip() for d in headers["Content-Security-Policy"].split(";")]
    assert status == 200 and "frame-ancestors 'self'" in csp and headers["X-Frame-Options"] == "SAMEORIGIN"
