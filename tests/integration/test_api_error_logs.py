"""What the API logs for a failed request: a client's mistake is one line with its code, our fault a traceback."""

from __future__ import annotations

import logging

import pytest

import schema.backbone
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration


def records(caplog: pytest.LogCaptureFixture, *, at_least: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= at_least]


async def test_client_errors_are_one_line_with_their_code(api_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    anonymous = await gql(api_url, 'mutation { crawlSite(site: "demo-portal") { state } }', token=None)
    syntax = await gql(api_url, "{ sites { id ", token=None)
    unknown = await gql(api_url, "{ sites { noSuchField } }", token=None)
    missing = await gql(api_url, '{ site(id: "no-such-site") { name } }', token=None)
    codes = [body["errors"][0]["extensions"]["code"] for body in (anonymous, syntax, unknown, missing)]
    assert codes == ["UNAUTHENTICATED", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED", "NOT_FOUND"], codes
    assert "Syntax Error" in syntax["errors"][0]["message"]
    assert records(caplog, at_least=logging.ERROR) == [], "a client's mistake is not an error of ours"
    assert not [r for r in caplog.records if r.exc_info], "and has no traceback"
    lines = {getattr(r, "code", None): r for r in caplog.records if r.name == "schema.errors"}
    assert set(codes) <= set(lines) and len([r for r in caplog.records if r.name == "schema.errors"]) == 4
    refused = lines["UNAUTHENTICATED"]
    assert refused.levelno == logging.INFO and "\n" not in refused.getMessage()
    assert refused.getMessage() == "graphql error UNAUTHENTICATED"
    assert "sign in" in refused.error and refused.path == "crawlSite"  # type: ignore[attr-defined]


async def test_an_internal_error_is_logged_once_with_its_traceback(
    api_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fault injected into a resolver's core call: no real component fails on demand with a plain exception.
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema.backbone, "list_sites", broken)
    caplog.set_level(logging.INFO)
    out = await gql(api_url, "{ sites { id } }", token=None)
    error = out["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL" and "disk on fire" not in error["message"]
    logged = records(caplog, at_least=logging.ERROR)
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].exc_info and "disk on fire" in str(logged[0].exc_info[1])
    assert logged[0].error_id in error["message"]  # type: ignore[attr-defined]


async def test_a_variable_the_schema_cannot_take_is_bad_input(api_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    query = "query($page: Int!) { halls(page: $page) { id } }"
    for value in (2**40, "two", None):  # past 32 bits, not a number, missing
        body = await gql(api_url, query, {"page": value}, token=None)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_INPUT", error
        assert "$page" in error["message"] and "Internal error" not in error["message"], error
    assert records(caplog, at_least=logging.WARNING) == [], "a client's mistake is not an error of ours"
    lines = [r for r in caplog.records if r.name == "schema.errors"]
    assert len(lines) == 3 and all(r.levelno == logging.INFO and not r.exc_info for r in lines)
    assert {r.getMessage() for r in lines} == {"graphql error BAD_INPUT"}


async def test_an_error_quoting_a_huge_input_sends_it_back_cut(api_url: str) -> None:
    from schema.errors import MESSAGE_CHARS

    huge = "数" * 100_000
    body = await gql(api_url, "query($id: String!) { dataset(id: $id) { id } }", {"id": huge}, token=None)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"].startswith("no dataset '数") and len(error["message"]) == MESSAGE_CHARS
