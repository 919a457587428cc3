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
