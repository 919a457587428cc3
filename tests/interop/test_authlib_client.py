"""authlib's OAuth 2 client (authlib.integrations.httpx_client) signs in with code + PKCE, refreshes, revokes
and logs out against the provider."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.integration.identity_flows import Browser, query_of
from tests.interop.conftest import PASSWORD, Provider

# authlib 1.9 asks for httpx2 when it finds httpx (what the project ships): a notice, not a failure.
pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:The httpx module is deprecated")]


def oauth_client(provider: Provider) -> Any:
    with warnings.catch_warnings():  # authlib 1.9 warns that it would rather have httpx2; httpx is what we ship
        warnings.simplefilter("ignore")
        from authlib.integrations.httpx_client import AsyncOAuth2Client
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope="openid profile",
        redirect_uri=provider.redirect_uri,
        code_challenge_method="S256",
    )


async def test_authlib_client_code_pkce_refresh_and_logout(provider: Provider) -> None:
    async with httpx.AsyncClient() as http:
        meta = (await http.get(f"{provider.url}/.well-known/openid-configuration")).json()
        keyset = KeySet.import_key_set((await http.get(meta["jwks_uri"])).json())
    client = oauth_client(provider)
    browser = Browser(provider.url)
    try:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        login_page = await browser.http.get(url)
        back = await browser.submit_login(login_page, provider.username, PASSWORD)
        callback = back.headers["location"]
        assert query_of(callback)["state"] == state
        token = await client.fetch_token(
            meta["token_endpoint"], authorization_response=callback, code_verifier=verifier, state=state
        )
        claims = jwt.decode(token["id_token"], keyset, algorithms=["RS256"]).claims
        assert claims["nonce"] == nonce and claims["aud"] == provider.client_id and claims["iss"] == provider.url
        me = (await client.get(meta["userinfo_endpoint"])).json()
        assert me["sub"] == str(provider.user_id) and me["preferred_username"] == provider.username
        first_refresh = token["refresh_token"]
        renewed = await client.refresh_token(meta["token_endpoint"])
        assert renewed["refresh_token"] != first_refresh and renewed["access_token"] != token["access_token"]
        assert (await client.get(meta["userinfo_endpoint"])).status_code == 200, "the renewed token works"
        bye = await browser.http.get(
            meta["end_session_endpoint"],
            params={
                "id_token_hint": renewed.get("id_token", token["id_token"]),
                "post_logout_redirect_uri": provider.post_logout_redirect_uri,
            },
        )
        assert bye.status_code == 302 and bye.headers["location"] == provider.post_logout_redirect_uri
        assert (await client.get(meta["userinfo_endpoint"])).status_code == 401, "signed out everywhere"
        revoked = await client.revoke_token(meta["revocation_endpoint"], token=renewed["refresh_token"])
        assert revoked.status_code == 200
    finally:
        await client.aclose()
        await browser.close()
