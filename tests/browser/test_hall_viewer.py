"""The hall viewer in headless Chromium (Playwright for Python, /usr/bin/chromium) on a phone-sized viewport:
the demo hall renders (the screenshot is not blank), clicking a POI in the 3D view shows its service, the
keyboard works, a walkthrough plays, and the console stays free of errors.

Skips, saying why, where Playwright or Chromium is not installed; CI installs both."""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from api.app import create_app
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import start_server
from tests.integration.graphql import ADMIN_TOKEN
from tests.integration.test_halls_api import _store_guides

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
HALL = "demo-budongchan"

if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright (Python) is not installed: pip install playwright", allow_module_level=True)
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)", allow_module_level=True)

from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright  # noqa: E402

# The screenshot's pixels, read back in the page: the mean and spread of its luminance and how many pixels
# differ from the top-left one (the clear colour).
PIXEL_STATS = """async (data) => {
  const img = new Image();
  img.src = "data:image/png;base64," + data;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0, sum = 0, sq = 0, differ = 0;
  for (let i = 0; i < px.length; i += 4) {
    const y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    n += 1; sum += y; sq += y * y;
    if (Math.abs(px[i] - px[0]) + Math.abs(px[i + 1] - px[1]) + Math.abs(px[i + 2] - px[2]) > 24) differ += 1;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(sq / n - mean * mean), differ: differ / n };
}"""


@pytest.fixture(scope="module")
async def viewer_api(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[str]:
    await _store_guides(pg_pool)
    port = free_port()
    app = create_app(dataclasses.replace(settings, port=port, broker_url="stub://", admin_token=ADMIN_TOKEN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = await start_server(server)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def hall_browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def viewer(hall_browser: Browser, viewer_api: str) -> AsyncIterator[tuple[Page, list[str]]]:
    context = await hall_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    opened = await context.new_page()
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    await opened.goto(f"{viewer_api}/halls/{HALL}/")
    await opened.wait_for_selector("body[data-ready='1']", timeout=30_000)
    try:
        yield opened, errors
    finally:
        await context.close()


async def test_the_demo_hall_renders_on_a_phone(viewer: tuple[Page, list[str]], artefacts: Path) -> None:
    opened, errors = viewer
    await opened.screenshot(path=str(artefacts / "hall-viewer-phone.png"), full_page=True)  # for a person to see
    shot = await opened.locator("#scene").screenshot()
    stats: dict[str, Any] = await opened.evaluate(PIXEL_STATS, base64.b64encode(shot).decode())
    assert stats["std"] > 12, stats  # a blank (one colour) canvas has none
    assert stats["differ"] > 0.15, stats  # the hall covers a good part of the view
    box = await opened.locator("#scene").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert "南门入口" in await opened.locator("#pois").inner_text()
    assert errors == []


async def test_clicking_a_window_in_the_3d_view_shows_its_service(viewer: tuple[Page, list[str]]) -> None:
    opened, errors = viewer
    at = await opened.evaluate("window.hallViewer.screenPosition('window-1')")
    box = await opened.locator("#scene").bounding_box()
    assert at is not None and box is not None
    await opened.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    detail = opened.locator("#detail-body")
    await detail.wait_for(state="visible")
    assert await detail.get_attribute("data-poi") == "window-1"
    service = opened.locator("#detail-body [data-service='不动产登记资料查询']")
    text = await service.inner_text()
    assert "不动产登记资料查询办事指南" in text and "《不动产登记资料查询申请表》" in text
    assert await opened.locator("#detail-title").inner_text() == "1号窗口"
    # the upper floor: its button shows it (one floor at a time), and its windows are picked in the 3D view
    assert await opened.evaluate("window.hallViewer.floor") == "F1"
    await opened.click("#floors button[data-floor='F2']")
    assert await opened.get_attribute("#floors button[data-floor='F2']", "aria-pressed") == "true"
    up = await opened.evaluate("window.hallViewer.screenPosition('window-10')")
    assert up is not None
    await opened.mouse.click(box["x"] + up["x"], box["y"] + up["y"])
    await opened.locator("#detail-body[data-poi='window-10']").wait_for()
    assert await opened.locator("#detail-title").inner_text() == "10号窗口（档案查阅）"
    assert errors == []


async def test_keyboard_modes_list_and_walkthrough(viewer: tuple[Page, list[str]]) -> None:
    opened, errors = viewer
    await opened.focus("#scene")
    await opened.keyboard.press("v")
    assert await opened.evaluate("window.hallViewer.mode") == "walk"
    assert await opened.get_attribute("#mode-walk", "aria-pressed") == "true"
    await opened.keyboard.press("ArrowUp")
    await opened.keyboard.press("v")
    assert await opened.evaluate("window.hallViewer.mode") == "orbit"
    await opened.focus("#pois button[data-poi='exit']")
    await opened.keyboard.press("Enter")
    assert await opened.locator("#detail-title").inner_text() == "东门出口"
    await opened.select_option("#service", "不动产登记资料查询")
    await opened.focus("#play")
    await opened.keyboard.press("Enter")
    await opened.locator("#stops > li").nth(4).wait_for()  # (the page's CSP refuses wait_for_function's eval)
    assert await opened.locator("#stops > li").count() == 5
    assert "南门入口 → 取号机 → 等候区 → 1号窗口 → 东门出口" in await opened.locator("#status").inner_text()
    assert "《不动产登记资料查询申请表》" in await opened.locator("#stops").inner_text()
    assert errors == []
