"""The big screen in Chromium at 1920 × 1080: live alerts and hot queries arrive without a reload.

The alert is raised on the real path: an inspection (core.monitoring.inspect_and_alert, what the `inspect_site`
job runs) opens a finding and publishes AlertRaised after its commit; the page's WebSocket subscription
(`alerts(site:)`, graphql-transport-ws) shows it. Measured from the inspection's start to the text on screen."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.bus import AlertRaised
from core.monitoring import inspect_and_alert
from core.monitoring.service import put_wrong_expression
from core.services import Services
from core.settings import Settings
from tests.browser.portal_server import PortalServer, portal_server

pytestmark = pytest.mark.integration

LIVE_WITHIN_S = 2.0


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[PortalServer]:
    with portal_server(settings) as running:
        yield running


@pytest.fixture
def screen(browser: Any, server: PortalServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.url}/screen/{server.portal}")
    page.wait_for_selector("#screen[data-live='1']", timeout=10_000)
    _subscribed(server, page)
    yield page
    context.close()


def _subscribed(server: PortalServer, page: Any) -> None:
    """Wait until the server's subscription is in place: a probe on core NATS (no stream, no finding) shows up."""
    probe = AlertRaised(
        finding_id="probe",
        site_id=server.portal,
        rule="probe",
        state="opened",
        summary="连接测试",
        at=datetime.now(UTC).isoformat(),
    )

    async def notify(services: Services) -> None:
        await services.bus.notify(probe)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        server.call(notify)
        try:
            page.wait_for_selector("#alerts li[data-finding='probe']", timeout=300)
            return
        except Exception:  # not yet subscribed: notify again
            continue
    raise AssertionError("the screen's alert subscription never received the probe")


def test_a_new_alert_is_on_screen_within_two_seconds(server: PortalServer, screen: Any, artefacts: Path) -> None:
    # The web office lists a wrong expression that a page of the site carries (高龄津帖 for 高龄津贴).
    server.call(lambda s: put_wrong_expression(s.pool, wrong="高龄津帖", right="高龄津贴"))

    async def inspect(services: Services) -> None:
        await inspect_and_alert(services.pool, services.bus, server.portal, datetime.now(UTC))

    started = time.monotonic()
    server.call(inspect)
    screen.wait_for_selector("#alerts li.opened:not([data-finding='probe'])", timeout=LIVE_WITHIN_S * 1000)
    elapsed = time.monotonic() - started
    assert elapsed < LIVE_WITHIN_S, elapsed
    first = screen.locator("#alerts li.opened:not([data-finding='probe'])").first.inner_text()
    assert "新告警 wrong_expressions" in first and "高龄津帖" in first
    screen.screenshot(path=str(artefacts / "portal-screen-live-alert.png"))


def test_hot_queries_update_without_reload(server: PortalServer, screen: Any) -> None:
    for _ in range(3):
        urllib.request.urlopen(f"{server.url}/search?q=" + urllib.parse.quote("高龄津贴")).read()
    screen.wait_for_function(  # without a reload; the search's path to the list (consumer, notice) is not timed here
        "() => Array.from(document.querySelectorAll('#hot-queries .q')).some(e => e.textContent === '高龄津贴')",
        timeout=30_000,
    )
