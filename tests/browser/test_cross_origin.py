"""A page on a second origin calling the API in a real Chromium: fetch (with its preflight), a persisted
query by GET, the subscription websocket and EventSource (SSE); the same page on an origin not in
CORS_ORIGINS gets none of them."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.browser.conftest import CHROMIUM
from tests.conftest import free_port
from tests.integration.conftest import serve_api

pytestmark = pytest.mark.integration
HOT = "subscription { hotQueries(window: HOUR, limit: 2) { query } }"
PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>a site of the group</title></head>
<body><main><h1>frontend on another origin</h1><script src="/app.js"></script></main></body></html>
"""
# Each check settles into window.results[name]; window.done once all four have.
SCRIPT = """
const api = new URLSearchParams(location.search).get("api");
const HOT = %(hot)s;
const results = (window.results = {});
const settle = (name, value) => {
  if (name in results) return;
  results[name] = value;
  window.done = Object.keys(results).length === 4;
};
const failure = (e) => "failed: " + (e && e.message ? e.message : String(e));

// fetch with a JSON body and X-Request-Id: a request the browser preflights
fetch(api + "/graphql", {
  method: "POST",
  headers: { "Content-Type": "application/json", "X-Request-Id": "page-0001" },
  body: JSON.stringify({ query: "{ sites { id } }" }),
})
  .then(async (r) => settle("fetch", { status: r.status, body: await r.json(), id: r.headers.get("X-Request-Id") }))
  .catch((e) => settle("fetch", failure(e)));

// a persisted query: hash alone by GET (not found), registered by POST, then by GET again (with its ETag)
(async () => {
  const query = "query PageSites { sites { id } }";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
  const sha256Hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const extensions = { persistedQuery: { version: 1, sha256Hash } };
  const byHash = () => fetch(api + "/graphql?extensions=" + encodeURIComponent(JSON.stringify(extensions)));
  const missing = await (await byHash()).json();
  await fetch(api + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, extensions }),
  });
  const found = await byHash();
  settle("apq", {
    missing: missing.errors[0].extensions.code,
    status: found.status,
    etag: found.headers.get("ETag"),
    cacheControl: found.headers.get("Cache-Control"),
    body: await found.json(),
  });
})().catch((e) => settle("apq", failure(e)));

// the subscription websocket (graphql-transport-ws)
const ws = new WebSocket(api.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init" }));
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.type === "connection_ack") ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: HOT } }));
  if (msg.type === "next") { settle("websocket", msg.payload); ws.close(); }
};
ws.onclose = (e) => settle("websocket", "closed " + e.code);

// EventSource: GraphQL over SSE by GET
const es = new EventSource(api + "/graphql?query=" + encodeURIComponent(HOT));
es.addEventListener("next", (e) => { settle("eventsource", JSON.parse(e.data)); es.close(); });
es.onerror = () => { settle("eventsource", "error, readyState " + es.readyState); es.close(); };
"""


class _Site(BaseHTTPRequestHandler):
    """The frontend's static files (a real HTTP origin, as a site of the group would be)."""

    script = b""

    def do_GET(self) -> None:
        body, kind = (self.script, "text/javascript") if self.path == "/app.js" else (PAGE, "text/html")
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def site_server(port: int) -> Iterator[str]:
    _Site.script = (SCRIPT % {"hot": json.dumps(HOT)}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def origins() -> dict[str, int]:
    return {"allowed": free_port(), "refused": free_port()}


@pytest.fixture(scope="module")
async def api(settings: Settings, origins: dict[str, int]) -> AsyncIterator[str]:
    async with serve_api(settings, cors_origins=f"sites, http://127.0.0.1:{origins['allowed']}") as url:
        yield url


def skip_without_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium package)")


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    """Chromium driven by Playwright's async API, in the tests' event loop beside the API server. (The sync
    `browser` fixture of conftest.py holds the main thread's event loop while it lives, so the API served in
    that loop, and every async fixture after it, could not run.)"""
    async_api = pytest.importorskip("playwright.async_api", reason="playwright (python) is not installed")
    skip_without_chromium()
    async with async_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def run_page(chromium: Any, site: str, api: str) -> dict[str, Any]:
    page = await chromium.new_page()
    try:
        await page.goto(f"{site}/?api={api}")
        await page.wait_for_function("window.done === true", timeout=30_000)
        return dict(await page.evaluate("window.results"))
    finally:
        await page.close()


async def test_a_page_on_an_allowed_origin_uses_fetch_apq_websocket_and_eventsource(
    chromium: Any, api: str, origins: dict[str, int]
) -> None:
    with site_server(origins["allowed"]) as site:
        results = await run_page(chromium, site, api)
    assert results["fetch"]["status"] == 200 and "sites" in results["fetch"]["body"]["data"], results
    assert results["fetch"]["id"] == "page-0001", "an exposed header, after a preflight for a custom one"
    apq = results["apq"]
    assert apq["missing"] == "PERSISTED_QUERY_NOT_FOUND", results
    assert apq["status"] == 200 and "sites" in apq["body"]["data"]
    assert apq["etag"] and apq["cacheControl"] == "public, max-age=60", "ETag exposed to the page"
    # the first result of each live transport (what other modules searched this hour: its shape, not its content)
    for transport in ("websocket", "eventsource"):
        hot = results[transport]["data"]["hotQueries"]
        assert isinstance(hot, list) and len(hot) <= 2 and all(set(h) == {"query"} for h in hot), results


async def test_the_same_page_on_an_origin_not_allowed_gets_nothing(
    chromium: Any, api: str, origins: dict[str, int]
) -> None:
    with site_server(origins["refused"]) as site:
        results = await run_page(chromium, site, api)
    assert results["fetch"] == "failed: Failed to fetch", results
    assert str(results["apq"]).startswith("failed:"), results
    assert results["websocket"] == "closed 1006", "the handshake is refused (403) before the socket opens"
    assert results["eventsource"] == "error, readyState 2", results
