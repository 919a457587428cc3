"""Mapping an upstream's claims onto local fields: the ID number leaves only as its keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import pytest

from core.identity.upstream import DEFAULT_NAME, map_profile
from core.identity.upstream_client import UpstreamRefused
from core.identity.upstream_config import parse_upstreams
from core.settings import Settings

KEY = "a-test-hash-key-0123456789"
SETTINGS = Settings(identity_hash_key=KEY)  # with a configured key no database is asked for one
NUMBER = "11010519491231002X"
(CARD,) = parse_upstreams(
    json.dumps(
        [
            {
                "name": "card",
                "kind": "oauth2",
                "authorization_endpoint": "https://card.example/a",
                "token_endpoint": "https://card.example/t",
                "userinfo_endpoint": "https://card.example/u",
                "client_id": "yw",
                "client_secret": "s",
                "claims": {
                    "subject": "data.userId",
                    "name": "data.realName",
                    "real_name_level": "data.level",
                    "id_number": "data.certNo",
                },
            }
        ]
    )
)


async def _map(data: dict[str, Any]) -> Any:
    return await map_profile(pool=None, settings=SETTINGS, upstream=CARD, claims={"data": data})  # type: ignore[arg-type]


async def test_claims_become_the_local_fields_and_the_number_its_keyed_hash() -> None:
    profile = await _map({"userId": 42, "realName": "  张三  ", "level": "2", "certNo": NUMBER.lower()})
    expected = hmac.new(KEY.encode(), NUMBER.encode(), hashlib.sha256).hexdigest()
    assert profile.subject == "42" and profile.name == "张三" and profile.real_name_level == 2
    assert profile.id_number_hash == expected and NUMBER not in repr(profile)


async def test_a_malformed_number_is_dropped_without_being_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    profile = await _map({"userId": "u1", "realName": "", "certNo": "110105194912310021"})  # wrong check digit
    assert profile.id_number_hash is None and profile.name == DEFAULT_NAME and profile.real_name_level == 0
    assert "malformed ID number" in caplog.text and "110105194912310021" not in caplog.text


@pytest.mark.parametrize("subject", [None, "", "   ", True, {"id": 1}])
async def test_no_subject_signs_nobody_in(subject: object) -> None:
    with pytest.raises(UpstreamRefused, match="did not say who signed in"):
        await _map({"userId": subject, "realName": "张三"})
