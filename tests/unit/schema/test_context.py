"""The per-request context: loaders that batch within a request, and keep nothing across a websocket's life."""

from __future__ import annotations

from types import SimpleNamespace

from schema.context import Context
from tests.unit.api.fakes import services


def test_an_http_request_caches_its_lookups_and_a_websocket_does_not() -> None:
    http = Context(services=services(), request=SimpleNamespace(scope={"type": "http"}))
    socket = Context(services=services(), request=SimpleNamespace(scope={"type": "websocket"}))
    for loader in (http.sites, http.documents, http.related_services):
        assert loader.cache, "one request asks for a document once however many fields need it"
    for loader in (socket.sites, socket.documents, socket.related_services):
        assert not loader.cache, "a websocket lives for hours: its answers must not go stale nor pile up"
