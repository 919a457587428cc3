"""The provider's pure rules: ID numbers, client URIs, redirects back, PKCE checks, the discovery document."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from api.oidc import discovery_document
from core.errors import Invalid
from core.identity.accounts import check_id_number, check_password, check_username
from core.identity.clients import check_uri
from core.identity.login import throttle_keys
from core.identity.oauth import OAuthError
from core.identity.provider import _check_verifier, with_query
from core.identity.tokens import digest, half_hash
from core.settings import Settings


def test_id_numbers_need_the_gb11643_check_character() -> None:
    assert check_id_number("11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "1101051949123100", "11010519491231002Y", "abc"):
        with pytest.raises(Invalid):
            check_id_number(bad)


def test_usernames_and_passwords() -> None:
    assert check_username("zhang.san@zz") == "zhang.san@zz"
    for bad in ("ab", "-lead", "has space", "x" * 65):
        with pytest.raises(Invalid):
            check_username(bad)
    with pytest.raises(Invalid):
        check_password("7chars!")


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("ftp://a.example/cb", "absolute"),
        ("/relative/cb", "absolute"),
        ("https://a.example/cb#x", "fragment"),
        ("https://*.example/cb", "wildcards"),
    ],
)
def test_client_uris_are_absolute_exact_and_fragment_free(uri: str, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        check_uri(uri, "redirect URI")


def test_redirects_keep_the_registered_query_and_add_only_what_is_set() -> None:
    assert (
        with_query("https://a.example/cb?site=1", {"code": "c", "state": None}) == "https://a.example/cb?site=1&code=c"
    )
    assert with_query("https://a.example/bye", {"state": None}) == "https://a.example/bye"
    assert with_query("https://a.example/cb", {"state": "a b&c"}) == "https://a.example/cb?state=a+b%26c"


def test_pkce_verifiers() -> None:
    verifier = "v" * 43
    _check_verifier(create_s256_code_challenge(verifier), verifier)
    _check_verifier(None, None)
    for challenge, given in ((create_s256_code_challenge(verifier), "w" * 43), ("x" * 43, None), (None, verifier)):
        with pytest.raises(OAuthError) as caught:
            _check_verifier(challenge, given)
        assert caught.value.error == "invalid_grant"


def test_hashes_and_throttle_keys() -> None:
    assert digest("a") == digest("a") != digest("b") and len(digest("a")) == 64
    assert len(half_hash("token")) == 22
    assert throttle_keys(" Zhang ", "10.0.0.1") == ("user:zhang", "addr:10.0.0.1")


def test_the_discovery_document_names_the_issuer_and_offers_only_s256() -> None:
    doc = discovery_document(Settings(public_url="https://id.zhengzhou.example/"))
    assert doc["issuer"] == "https://id.zhengzhou.example"
    assert doc["authorization_endpoint"] == "https://id.zhengzhou.example/oidc/authorize"
    assert doc["code_challenge_methods_supported"] == ["S256"] and doc["response_types_supported"] == ["code"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert Settings(host="0.0.0.0", port=8080).issuer == "http://0.0.0.0:8080"


def test_settings_refuse_a_bad_public_url_and_short_hash_key() -> None:
    with pytest.raises(Invalid, match="PUBLIC_URL"):
        Settings.from_env({"PUBLIC_URL": "id.example"})
    with pytest.raises(Invalid, match="IDENTITY_HASH_KEY"):
        Settings.from_env({"IDENTITY_HASH_KEY": "short"})
