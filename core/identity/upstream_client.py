"""Talking to an upstream provider as a relying party: its discovery document and keys (cached per process),
the authorization URL (authlib builds it, PKCE S256), the code exchange, userinfo, and the ID token's
verification (joserfc: signature against the upstream's JWKS, iss, aud, azp, exp, iat, nonce, at_hash).

Failures come in two families: `core.errors.Upstream` when the provider cannot be reached or answers
nonsense, `UpstreamRefused` when what it sent must not sign anyone in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.errors import Unauthenticated, Upstream
from core.identity.upstream_config import Upstream as UpstreamConfig

log = logging.getLogger(__name__)
# Asymmetric algorithms only: `none` is refused, and so is HS*, which would make the client secret a signing key.
ID_TOKEN_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
CACHE_S = 300.0
REFETCH_KEYS_AFTER_S = 10.0  # an unknown kid fetches the JWKS again at most this often (key rotation)
LEEWAY_S = 60  # clock skew allowed on exp and iat
JSON = {"Accept": "application/json"}
UNREACHABLE = "暂时无法连接{label}，请稍后再试，或使用本平台账号登录。"


REFUSED_PAGE = "统一身份认证平台返回的登录结果未通过校验，已拒绝。请回到网站重新登录。"


class UpstreamRefused(Unauthenticated):
    """The upstream's answer must not sign anyone in (a bad token, a refused code, a mismatched subject).
    `message` says why (logged); `shown` is what the person reads."""

    def __init__(self, message: str, *, shown: str | None = None) -> None:
        super().__init__(message)
        self.shown = shown or REFUSED_PAGE


@dataclass(frozen=True, kw_only=True)
class Endpoints:
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None
    jwks_uri: str | None
    issuer: str | None


_metadata: dict[str, tuple[float, Endpoints]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}


def unreachable(upstream: UpstreamConfig) -> Upstream:
    return Upstream(UNREACHABLE.format(label=_display(upstream)))


def _display(upstream: UpstreamConfig) -> str:
    label = upstream.label.removeprefix("使用").removesuffix("登录")
    return label or upstream.name


async def _get_json(upstream: UpstreamConfig, url: str, timeout_s: float, **kwargs: Any) -> Any:
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as http:
            response = await http.get(url, **kwargs)
    except httpx.HTTPError as exc:
        log.warning("upstream unreachable", extra={"upstream": upstream.name, "url": url, "error": type(exc).__name__})
        raise unreachable(upstream) from None
    if response.status_code == 401:
        raise UpstreamRefused(f"{upstream.name} refused the request ({url}: 401)")
    if response.status_code != 200:
        log.warning("upstream answered %s", response.status_code, extra={"upstream": upstream.name, "url": url})
        raise unreachable(upstream)
    try:
        return response.json()
    except ValueError:
        log.warning("upstream answered no JSON", extra={"upstream": upstream.name, "url": url})
        raise unreachable(upstream) from None


async def endpoints(upstream: UpstreamConfig, *, timeout_s: float) -> Endpoints:
    """Where the upstream's endpoints are: from its discovery document (OIDC; its issuer must be the configured
    one), each overridable in the configuration; an OAuth2 upstream's come from the configuration alone."""
    if upstream.kind != "oidc":
        assert upstream.authorization_endpoint and upstream.token_endpoint
        return Endpoints(
            authorization_endpoint=upstream.authorization_endpoint,
            token_endpoint=upstream.token_endpoint,
            userinfo_endpoint=upstream.userinfo_endpoint,
            jwks_uri=None,
            issuer=None,
        )
    assert upstream.issuer is not None
    cached = _metadata.get(upstream.issuer)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    doc = await _get_json(upstream, f"{upstream.issuer}/.well-known/openid-configuration", timeout_s)
    if not isinstance(doc, dict) or str(doc.get("issuer", "")).rstrip("/") != upstream.issuer:
        log.warning("upstream discovery names another issuer", extra={"upstream": upstream.name})
        raise unreachable(upstream)
    try:
        found = Endpoints(
            authorization_endpoint=upstream.authorization_endpoint or str(doc["authorization_endpoint"]),
            token_endpoint=upstream.token_endpoint or str(doc["token_endpoint"]),
            userinfo_endpoint=upstream.userinfo_endpoint or doc.get("userinfo_endpoint"),
            jwks_uri=str(doc["jwks_uri"]),
            issuer=upstream.issuer,
        )
    except KeyError:
        log.warning("upstream discovery lacks an endpoint", extra={"upstream": upstream.name})
        raise unreachable(upstream) from None
    _metadata[upstream.issuer] = (time.monotonic(), found)
    return found


async def key_set(upstream: UpstreamConfig, where: Endpoints, *, timeout_s: float, fresh: bool = False) -> KeySet:
    assert where.jwks_uri is not None
    cached = _keys.get(where.jwks_uri)
    age = time.monotonic() - cached[0] if cached else 1e9
    if cached and ((age < CACHE_S and not fresh) or age < REFETCH_KEYS_AFTER_S):
        return cached[1]
    doc = await _get_json(upstream, where.jwks_uri, timeout_s)
    try:
        keys = KeySet.import_key_set(doc)
    except (JoseError, ValueError, TypeError, KeyError):
        log.warning("upstream JWKS unreadable", extra={"upstream": upstream.name})
        raise unreachable(upstream) from None
    _keys[where.jwks_uri] = (time.monotonic(), keys)
    return keys


def authorization_url(
    upstream: UpstreamConfig, where: Endpoints, *, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    """The upstream's authorization request: code flow, PKCE S256, and a nonce for an OIDC upstream."""
    extra = {"nonce": nonce} if upstream.kind == "oidc" else {}
    return str(
        prepare_grant_uri(
            where.authorization_endpoint,
            client_id=upstream.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(upstream.scopes) or None,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **extra,
        )
    )


def _client_auth(upstream: UpstreamConfig, data: dict[str, str]) -> httpx.BasicAuth | None:
    """RFC 6749 §2.3.1: client_secret_basic (id and secret form-encoded first), client_secret_post, or a public
    client naming itself."""
    if upstream.token_endpoint_auth_method == "client_secret_basic" and upstream.client_secret is not None:
        return httpx.BasicAuth(quote_plus(upstream.client_id), quote_plus(upstream.client_secret))
    data["client_id"] = upstream.client_id
    if upstream.token_endpoint_auth_method == "client_secret_post" and upstream.client_secret is not None:
        data["client_secret"] = upstream.client_secret
    return None


async def exchange_code(
    upstream: UpstreamConfig, where: Endpoints, *, code: str, redirect_uri: str, verifier: str, timeout_s: float
) -> dict[str, Any]:
    """The upstream's token response for `code` (with the PKCE verifier)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    auth = _client_auth(upstream, data)
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as http:
            response = await http.post(
                where.token_endpoint, data=data, auth=auth or httpx.USE_CLIENT_DEFAULT, headers=JSON
            )
        token = response.json() if response.status_code < 500 else None
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("upstream token call failed", extra={"upstream": upstream.name, "error": type(exc).__name__})
        raise unreachable(upstream) from None
    if not isinstance(token, dict):
        log.warning("upstream token endpoint answered %s", response.status_code, extra={"upstream": upstream.name})
        raise unreachable(upstream)
    if response.status_code != 200 or "error" in token:
        raise UpstreamRefused(f"{upstream.name} refused the code: {str(token.get('error'))[:64]}")
    if not isinstance(token.get("access_token"), str):
        raise UpstreamRefused(f"{upstream.name} sent no access token")
    return token


async def userinfo(upstream: UpstreamConfig, where: Endpoints, *, access_token: str, timeout_s: float) -> dict:
    assert where.userinfo_endpoint is not None
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    claims = await _get_json(upstream, where.userinfo_endpoint, timeout_s, headers=headers)
    if not isinstance(claims, dict):
        raise UpstreamRefused(f"{upstream.name}'s userinfo is not a JSON object")
    return claims


def _refuse(why: str) -> UpstreamRefused:
    return UpstreamRefused(f"the upstream's ID token was refused: {why}")


def _half_hash(alg: str, value: str) -> str:
    bits = {"384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:], hashlib.sha256)
    digest = bits(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWT, refused unless it names an asymmetric algorithm we accept."""
    try:
        header = dict(jws.extract_compact(token.encode()).headers())
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise _refuse("malformed") from None
    if header.get("alg") not in ID_TOKEN_ALGS:
        raise _refuse(f"algorithm {header.get('alg')!r} is not accepted")
    return header


def verify_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
    access_token: str | None = None,
) -> dict[str, Any]:
    """OIDC Core §3.1.3.7: the claims of an ID token whose signature, issuer, audience, authorized party,
    expiry, issue time and nonce hold (and at_hash when present); raises UpstreamRefused otherwise."""
    alg = str(id_token_header(token)["alg"])
    try:
        claims: dict[str, Any] = dict(jwt.decode(token, keys, algorithms=[alg]).claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise _refuse(f"signature ({type(exc).__name__})") from None
    if claims.get("iss") != issuer:
        raise _refuse("wrong issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise _refuse("not issued to this client (aud)")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise _refuse("authorized party (azp) is another client")
    exp, iat, moment = claims.get("exp"), claims.get("iat"), now.timestamp()
    if not isinstance(exp, int | float) or exp <= moment - LEEWAY_S:
        raise _refuse("expired")
    if not isinstance(iat, int | float) or iat > moment + LEEWAY_S:
        raise _refuse("issue time missing or in the future")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise _refuse("nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse("no subject")
    at_hash = claims.get("at_hash")
    if access_token is not None and at_hash is not None and at_hash != _half_hash(alg, access_token):
        raise _refuse("at_hash does not match the access token")
    return claims


async def id_token_claims(
    upstream: UpstreamConfig, where: Endpoints, *, token: dict[str, Any], nonce: str, timeout_s: float, now: datetime
) -> dict[str, Any]:
    """The verified claims of the token response's ID token; an unknown key id fetches the JWKS once more."""
    raw = token.get("id_token")
    if not isinstance(raw, str):
        raise _refuse("the token response has no id_token")
    kid = id_token_header(raw).get("kid")
    keys = await key_set(upstream, where, timeout_s=timeout_s)
    if kid is not None and all(k.kid != kid for k in keys.keys):
        keys = await key_set(upstream, where, timeout_s=timeout_s, fresh=True)
    assert upstream.issuer is not None
    return verify_id_token(
        raw,
        keys,
        issuer=upstream.issuer,
        client_id=upstream.client_id,
        nonce=nonce,
        now=now,
        access_token=token.get("access_token"),
    )
