"""Posting GraphQL to a test API: as an admin (the test ADMIN_TOKEN) unless a test says otherwise."""

from __future__ import annotations

from typing import Any

import aiohttp

ADMIN_TOKEN = "test-admin-token-0123456789"  # what serve_api configures


async def gql(
    api_url: str, query: str, variables: dict[str, Any] | None = None, *, token: str | None = ADMIN_TOKEN
) -> dict[str, Any]:
    """The whole response (data and errors); `token=None` sends no Authorization header."""
    body = {"query": query, "variables": variables or {}}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as s, s.post(f"{api_url}/graphql", json=body, headers=headers) as r:
        assert r.status in (200, 400), await r.text()
        return dict(await r.json())


async def gql_data(api_url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a response that must have no errors."""
    body = await gql(api_url, query, variables)
    assert not body.get("errors"), body
    return dict(body["data"])
