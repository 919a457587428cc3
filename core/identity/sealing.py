"""Identity secrets at rest (private signing keys, TOTP secrets, the portal's tokens): AES-256-GCM under a key
derived from IDENTITY_KEY_SECRET (HKDF-SHA256).

A sealed value is `aesgcm:v1:` + base64url(12-byte nonce + ciphertext + tag); the associated data names the
value (a key's `kid`; for the other secrets a label of what and whose), so a sealed value copied onto another
row does not open. A plain value is what a database without IDENTITY_KEY_SECRET holds."""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import Invalid

PREFIX = "aesgcm:v1:"
NONCE_BYTES = 12
INFO = b"yiwang identity_keys private JWK v1"


@lru_cache(maxsize=4)
def _cipher(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())
    return AESGCM(key)


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(secret: str, kid: str, plaintext: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(secret).encrypt(nonce, plaintext.encode(), kid.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret: str | None, kid: str, stored: str, *, what: str = "signing key") -> str:
    """The private JWK of a row (or another secret, named by `what`): opened when sealed, as stored when plain.
    Invalid when it is sealed and the secret is missing or is not the one that sealed it (the message never shows
    key material)."""
    if not is_sealed(stored):
        return stored
    if not secret:
        raise Invalid(f"{what} {kid} is encrypted at rest: set IDENTITY_KEY_SECRET to the secret that sealed it")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode())
        return _cipher(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode()).decode()
    except (InvalidTag, ValueError):
        raise Invalid(f"{what} {kid} does not open with IDENTITY_KEY_SECRET: it was sealed with another") from None


def at_rest(secret: str | None, kid: str, plaintext: str) -> str:
    """What to store for a new private JWK: sealed when a secret is configured."""
    return seal(secret, kid, plaintext) if secret else plaintext
