"""Private signing keys sealed at rest (core.identity.sealing): what opens, and what refuses clearly."""

from __future__ import annotations

import json

import pytest

from core.errors import Invalid
from core.identity import sealing
from core.settings import Settings

SECRET = "a-long-random-key-encryption-secret"
JWK = json.dumps({"kty": "EC", "crv": "P-256", "d": "private-part", "x": "x", "y": "y", "kid": "es256-abc"})


def test_a_sealed_key_opens_with_its_secret_and_shows_nothing_in_the_clear() -> None:
    sealed = sealing.seal(SECRET, "es256-abc", JWK)
    assert sealing.is_sealed(sealed) and "private-part" not in sealed and '"d"' not in sealed
    assert sealing.unseal(SECRET, "es256-abc", sealed) == JWK
    assert sealing.seal(SECRET, "es256-abc", JWK) != sealed, "a fresh nonce each time"


def test_a_plain_key_is_read_as_it_is_and_stored_plain_without_a_secret() -> None:
    assert sealing.unseal(None, "k", JWK) == JWK
    assert sealing.unseal(SECRET, "k", JWK) == JWK
    assert sealing.at_rest(None, "k", JWK) == JWK
    assert sealing.is_sealed(sealing.at_rest(SECRET, "k", JWK))


@pytest.mark.parametrize(
    ("secret", "kid", "says"),
    [
        (None, "es256-abc", "set IDENTITY_KEY_SECRET"),
        ("", "es256-abc", "set IDENTITY_KEY_SECRET"),
        ("another-long-random-secret-value", "es256-abc", "sealed with another"),
        (SECRET, "rs256-other", "sealed with another"),  # the kid is bound in: a sealed key moved to another row
    ],
)
def test_a_sealed_key_refuses_a_missing_or_wrong_secret_clearly(secret: str | None, kid: str, says: str) -> None:
    sealed = sealing.seal(SECRET, "es256-abc", JWK)
    with pytest.raises(Invalid) as refused:
        sealing.unseal(secret, kid, sealed)
    assert says in refused.value.message and "private-part" not in refused.value.message


def test_a_tampered_seal_is_refused() -> None:
    sealed = sealing.seal(SECRET, "es256-abc", JWK)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(Invalid):
        sealing.unseal(SECRET, "es256-abc", tampered)


def test_the_secret_setting_is_masked_and_must_be_long() -> None:
    settings = Settings.from_env({"IDENTITY_KEY_SECRET": SECRET})
    assert settings.identity_key_secret == SECRET and SECRET not in repr(settings)
    with pytest.raises(Invalid, match="IDENTITY_KEY_SECRET must be at least"):
        Settings.from_env({"IDENTITY_KEY_SECRET": "short"})
