"""Upstream providers for the federation tests: a minimal provincial platform (aiohttp + joserfc) that serves
discovery, JWKS, authorize, token and userinfo and can be told to misbehave, and helpers to serve the project's
own provider on another loopback address (its cookies then stay apart from the downstream's, as on two hosts)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from api.app import create_app
from core.settings import Settings
from tests.integration.conftest import start_server

UPSTREAM_HOST = "127.0.0.2"  # loopback too, but another host for cookies


def id_number(first17: str) -> str:
    """A resident ID number with its right check character (GB 11643)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@contextlib.asynccontextmanager
async def serve_on(settings: Settings, host: str) -> AsyncIterator[str]:
    """The real app served on `host`:`settings.port` in this event loop (as tests/integration/conftest.serve_api)."""
    config = uvicorn.Config(
        create_app(settings), host=host, port=settings.port, log_level="warning", lifespan="on", ws="none"
    )
    server = uvicorn.Server(config)
    task = await start_server(server)
    try:
        yield f"http://{host}:{settings.port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Person:
    sub: str
    name: str
    level: object
    id_number: str | None


@dataclass
class MiniUpstream:
    """A provincial platform in miniature. `person` is who signs in at the next authorize; `mode` bends the
    next ID token or token answer: good, wrong_nonce, wrong_aud, alg_none, wrong_iss, foreign_key, token_500."""

    url: str = ""
    client_id: str = "yiwang-downstream"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person: Person = field(default_factory=lambda: Person("p-1", "王省民", 3, None))
    mode: str = "good"
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "prov-1"}))
    requests: list[dict[str, str]] = field(default_factory=list)  # the authorization requests received
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, Person] = field(default_factory=dict)

    def claims(self, grant: dict[str, Any]) -> dict[str, Any]:
        person, now = grant["person"], int(time.time())
        claims = {
            "iss": self.url,
            "sub": person.sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "name": person.name,
            "real_name_level": person.level,
        }
        if person.id_number:
            claims["id_number"] = person.id_number
        bent = {
            "wrong_nonce": {"nonce": "n-" + secrets.token_urlsafe(8)},
            "wrong_aud": {"aud": "another-client"},
            "wrong_iss": {"iss": "https://evil.example"},
        }
        return claims | bent.get(self.mode, {})

    def id_token(self, grant: dict[str, Any]) -> str:
        claims = self.claims(grant)
        if self.mode == "alg_none":
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{body}."
        key = self.key
        if self.mode == "foreign_key":  # same kid, another key: the signature cannot verify
            key = RSAKey.generate_key(2048, parameters={"kid": "prov-1"})
        return jwt.encode({"alg": "RS256", "kid": "prov-1"}, claims, key)

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
            }
        )

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append(query)
        if self.mode == "access_denied":
            raise web.HTTPFound(
                f"{query['redirect_uri']}?{urlencode({'error': 'access_denied', 'state': query['state']})}"
            )
        code = secrets.token_urlsafe(16)
        self.codes[code] = query | {"person": self.person}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["code_challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant", "error_description": "PKCE"}, status=400)
        if self.mode == "token_500":
            return web.Response(status=500, text="internal error")
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant["person"]
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 300}
        if "openid" in grant.get("scope", "").split():
            body["id_token"] = self.id_token(grant)
        return web.json_response(body)

    async def userinfo(self, request: web.Request) -> web.Response:
        person = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if person is None:
            return web.json_response({"error": "invalid_token"}, status=401)
        # The shape of a generic (non-OIDC) platform: everything under `data`, its own names.
        data = {"userId": person.sub, "realName": person.name, "authLevel": person.level, "certNo": person.id_number}
        return web.json_response({"code": 0, "data": data, "sub": person.sub})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_get("/userinfo", self.userinfo)
        return app


@contextlib.asynccontextmanager
async def serve_mini(mini: MiniUpstream, port: int) -> AsyncIterator[MiniUpstream]:
    runner = web.AppRunner(mini.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, UPSTREAM_HOST, port).start()
    mini.url = f"http://{UPSTREAM_HOST}:{port}"
    try:
        yield mini
    finally:
        await runner.cleanup()
