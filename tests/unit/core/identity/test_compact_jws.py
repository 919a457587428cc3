"""Our compact JWS encoder (core.identity.tokens.compact_jws) makes tokens joserfc verifies, for both algorithms."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, RSAKey

from core.identity import keys
from core.identity.models import SigningKey
from core.identity.tokens import compact_jws

CLAIMS = {"iss": "https://id.example.gov.cn", "sub": "u-1", "name": "张三", "real_name_level": 3, "exp": 2_000_000_000}


def loaded(alg: str) -> keys.LoadedKey:
    kid, private = keys.generate(alg)
    row = SigningKey(
        kid=kid, alg=alg, private_jwk=private, created_at=datetime.now(UTC), retired_at=None, served_until=None
    )
    return keys.LoadedKey(row, *_pair(private, alg))


def _pair(private: str, alg: str) -> tuple[keys.Jwk, keys.Jwk]:
    kind = ECKey if alg == "ES256" else RSAKey
    key = kind.import_key(json.loads(private))
    return key, kind.import_key(key.as_dict(private=False))


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_token_we_sign_verifies_with_joserfc_and_says_what_we_wrote(alg: str) -> None:
    key = loaded(alg)
    token = compact_jws({"alg": alg, "kid": key.row.kid, "typ": "at+jwt"}, CLAIMS, key)
    decoded = jwt.decode(token, key.public, algorithms=[alg])
    assert decoded.header == {"alg": alg, "kid": key.row.kid, "typ": "at+jwt"}
    assert dict(decoded.claims) == CLAIMS


def test_a_token_does_not_verify_with_another_key_or_when_changed() -> None:
    key, other = loaded("ES256"), loaded("ES256")
    token = compact_jws({"alg": "ES256", "kid": key.row.kid}, CLAIMS, key)
    with pytest.raises(BadSignatureError):
        jwt.decode(token, other.public, algorithms=["ES256"])
    head, _, signature = token.split(".")
    forged = jwt.encode({"alg": "ES256"}, CLAIMS | {"real_name_level": 0}, other.private).split(".")[1]
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{head}.{forged}.{signature}", key.public, algorithms=["ES256"])


def test_the_header_must_name_the_keys_algorithm() -> None:
    key = loaded("ES256")
    with pytest.raises(ValueError, match="not the key's ES256"):
        compact_jws({"alg": "RS256", "kid": key.row.kid}, CLAIMS, key)
