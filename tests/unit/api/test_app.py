"""The app's own logic: request ids, liveness and readiness as an operator's probe sees them."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from api import app as api_app
from api.app import RequestIdMiddleware, healthz, readyz
from core.logs import request_id
from tests.unit.api.fakes import FakeEngine, FakePool, services


def client(app: ASGIApp) -> httpx.AsyncClient:
    """In-memory HTTP to an ASGI app: no socket is opened."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


async def probe(path: str, **fakes: object) -> httpx.Response:
    app = Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz)])
    app.state.services = services(**fakes)  # type: ignore[arg-type]
    async with client(app) as c:
        return await c.get(path)


async def test_ready_when_postgres_nats_and_search_answer() -> None:
    r = await probe("/readyz", engine=FakeEngine())
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"postgres": True, "nats": True, "search": True}}


async def test_not_ready_names_the_failing_checks() -> None:
    r = await probe("/readyz", engine=FakeEngine(healthy=False), connected=False)
    assert r.status_code == 503
    assert r.json() == {"status": "not ready", "checks": {"postgres": True, "nats": False, "search": False}}


async def test_a_postgres_that_does_not_answer_in_time_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_app, "CHECK_TIMEOUT_S", 0.05)
    r = await probe("/readyz", pool=FakePool(hang=True))
    assert r.status_code == 503 and r.json()["checks"] == {"postgres": False, "nats": True}


async def test_healthz_answers_without_asking_any_backend() -> None:
    r = await probe("/healthz", pool=FakePool(hang=True), connected=False)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def echo(request: Request) -> Response:
    """Logs a line and answers with the request id bound while the request ran."""
    logging.getLogger("tests.api").info("handled")
    return PlainTextResponse(request_id.get() or "")


async def get_echo(*headers: dict[str, str]) -> list[httpx.Response]:
    async with client(RequestIdMiddleware(Starlette(routes=[Route("/", echo)]))) as c:
        return [await c.get("/", headers=h) for h in headers]


async def test_the_request_id_sent_is_bound_to_the_request_and_echoed() -> None:
    [r] = await get_echo({"X-Request-Id": "abc-123"})
    assert r.text == "abc-123" and r.headers["x-request-id"] == "abc-123"
    assert request_id.get() is None, "the id does not leak past the request"


async def test_a_request_without_an_id_gets_a_new_one_each_time() -> None:
    first, second = await get_echo({}, {})
    assert len(first.headers["x-request-id"]) == 16 and first.text == first.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_request_id_outside_the_allowed_form_is_replaced_and_logged_beside_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only 1-64 letters, digits and dashes are taken; anything else gets a server-made id, and the log line
    carries the rejected value escaped and cut (no log injection, no unbounded line)."""
    sent = ["x" * 65, "abc 123", "<script>", "a_b", "id\tx", "y" * 500]
    with caplog.at_level(logging.WARNING, logger="api.app"):
        responses = await get_echo(*({"X-Request-Id": v} for v in sent))
    for value, r in zip(sent, responses, strict=True):
        made = r.headers["x-request-id"]
        assert made != value and re.fullmatch(r"[0-9a-f]{16}", made) and r.text == made
    rejected = [rec.__dict__["rejected_request_id"] for rec in caplog.records]
    assert rejected[:4] == ["x" * 65, "abc 123", "<script>", "a_b"] and rejected[4] == "id\\tx"
    assert rejected[5] == "y" * api_app.REJECTED_ID_SHOWN


async def test_a_request_id_of_64_allowed_characters_is_kept() -> None:
    [r] = await get_echo({"X-Request-Id": "A-1" * 21 + "z"})
    assert r.headers["x-request-id"] == "A-1" * 21 + "z"
