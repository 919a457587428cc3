"""A websocket's connection_init payload carries the access token `myUpdates` needs, however a client spells it."""

from __future__ import annotations

from typing import Any

import pytest

from schema.context import token_of_connection


@pytest.mark.parametrize(
    ("payload", "token"),
    [
        ({"Authorization": "Bearer abc.def"}, "abc.def"),
        ({"authorization": "bearer  abc "}, "abc"),
        ({"token": "abc"}, "abc"),
        ({"accessToken": "abc"}, "abc"),
        ({"headers": {"Authorization": "Bearer abc"}}, "abc"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, None),
        ({"Authorization": "Bearer "}, None),
        ({"token": 42}, None),
        ({}, None),
    ],
)
def test_the_token_is_read_from_connection_init(payload: dict[str, Any], token: str | None) -> None:
    assert token_of_connection(payload) == token


class _Request:
    def __init__(self) -> None:
        self.headers = {"authorization": "Bearer header-token"}


async def test_a_fresh_check_verifies_a_header_token_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subscription over SSE (or a websocket authenticated by its HTTP header) lives on one context: the live
    feed's `signed_in(fresh=True)` must verify the token each time, so a revoked session stops it. The verifier
    is replaced here (no database in unit tests); tests/integration/test_userspace_api.py runs the real one."""
    from types import SimpleNamespace

    from core.errors import Unauthenticated
    from core.identity.principal import Principal
    from schema import context as ctx

    calls: list[str] = []
    revoked = False

    async def verify(*, pool: object, settings: object, token: str, now: object) -> Principal:
        calls.append(token)
        if revoked:
            raise Unauthenticated("this access token is not valid")
        return principal

    principal = Principal(user_id=None, username="u1", name="某人")
    monkeypatch.setattr(ctx, "authenticate_bearer", verify)
    services = SimpleNamespace(pool=None, settings=None, clock=lambda: None)
    context = ctx.Context.__new__(ctx.Context)
    context.services, context.request = services, _Request()  # type: ignore[assignment]
    context.bearer, context._principal = None, None
    assert await context.signed_in() is principal and await context.signed_in() is principal
    assert calls == ["header-token"], "one HTTP request: verified once"
    revoked = True
    with pytest.raises(Unauthenticated):
        await context.signed_in(fresh=True)
    assert calls == ["header-token", "header-token"]
