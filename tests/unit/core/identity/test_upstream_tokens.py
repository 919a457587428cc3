"""An upstream's ID token is verified as OIDC Core §3.1.3.7 asks; each case forges the token it refuses."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from core.identity.upstream_client import UpstreamRefused, id_token_header, verify_id_token

ISSUER = "https://sso.henan.example"
CLIENT = "yiwang"
NONCE = "n-0123456789"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
RSA = RSAKey.generate_key(2048, parameters={"kid": "r1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "e1"})
KEYS = KeySet([RSAKey.import_key(RSA.as_dict(private=False)), ECKey.import_key(EC.as_dict(private=False))])


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "p-1", "iat": now, "exp": now + 300, "nonce": NONCE}
    return {k: v for k, v in (claims | changes).items() if v is not None}


def _signed(claims: dict[str, Any], alg: str = "RS256", kid: str = "r1") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, claims, RSA if alg.startswith(("RS", "PS")) else EC)


def _verify(token: str, access: str | None = None) -> dict[str, Any]:
    return verify_id_token(token, KEYS, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=NOW, access_token=access)


def _at_hash(access: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access.encode()).digest()[:16]).rstrip(b"=").decode()


def test_a_good_token_of_either_key_type_verifies() -> None:
    assert _verify(_signed(_claims()))["sub"] == "p-1"
    assert _verify(_signed(_claims(), "ES256", "e1"))["sub"] == "p-1"
    both = _claims(aud=[CLIENT, "other"], azp=CLIENT, at_hash=_at_hash("the-access-token"))
    assert _verify(_signed(both), access="the-access-token")["azp"] == CLIENT


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (_claims(nonce="n-someone-else"), "nonce"),
        (_claims(nonce=None), "nonce"),
        (_claims(aud="another-client"), "aud"),
        (_claims(aud=["another-client"]), "aud"),
        (_claims(aud=[CLIENT, "other"]), "azp"),  # several audiences need azp = us
        (_claims(azp="other"), "azp"),
        (_claims(iss="https://evil.example"), "issuer"),
        (_claims(exp=int(NOW.timestamp()) - 120), "expired"),
        (_claims(iat=None), "issue time"),
        (_claims(iat=int(NOW.timestamp()) + 3600), "issue time"),
        (_claims(sub=None), "subject"),
        (_claims(at_hash="AAAAAAAAAAAAAAAAAAAAAA"), "at_hash"),
    ],
)
def test_a_token_that_breaks_a_rule_is_refused(claims: dict[str, Any], why: str) -> None:
    with pytest.raises(UpstreamRefused, match=why):
        _verify(_signed(claims), access="the-access-token")


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_alg_none_and_hmac_tokens_are_refused() -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    with pytest.raises(UpstreamRefused, match="algorithm 'none'"):
        _verify(unsigned)
    hmac_key = OctKey.import_key(b"the client secret, known to both sides!")
    hmac_token = jwt.encode({"alg": "HS256"}, _claims(), hmac_key)
    with pytest.raises(UpstreamRefused, match="algorithm 'HS256'"):
        _verify(hmac_token)


def test_a_tampered_or_foreign_signature_is_refused() -> None:
    good = _signed(_claims())
    head, _, sig = good.split(".")
    tampered = f"{head}.{_b64(_claims(sub='p-2'))}.{sig}"
    foreign = jwt.encode({"alg": "RS256", "kid": "r1"}, _claims(), RSAKey.generate_key(2048))
    for token in (tampered, foreign, "not.a.jwt", "x"):
        with pytest.raises(UpstreamRefused):
            _verify(token)


def test_the_header_is_read_before_any_key_is_chosen() -> None:
    assert id_token_header(_signed(_claims()))["kid"] == "r1"
    with pytest.raises(UpstreamRefused, match="malformed"):
        id_token_header("%%%")
