"""The portal's sign-in sessions, kept on the server: the browser holds only a random cookie.

A session is one entry of a NATS JetStream key-value bucket (`yw_portal_sessions`, its age limit the provider's
SESSION_TTL_S), keyed by the SHA-256 of the cookie, so every API replica reads the same sessions, a restart
keeps them, and neither the bucket nor a log ever shows a cookie that would let someone in. The tokens never
reach the browser. Why not Postgres: the portal (api/) owns no table, and the bus is already open in every
API process (docs/portal.md, "Sign-in")."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue
from starlette.requests import Request
from starlette.responses import Response

BUCKET = "yw_portal_sessions"
COOKIE = "yw_portal"


@dataclass(kw_only=True)
class PortalSession:
    """What the portal keeps for one browser: the pending sign-in, then the tokens and the form token."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    pending: dict[str, str] | None = None  # state, nonce, PKCE verifier and where to go back, while signing in
    access_token: str | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    expires_at: float = 0.0  # the access token's, in seconds since the epoch
    name: str = ""
    sid: str = ""  # the provider's session: a back-channel logout names it

    @property
    def signed_in(self) -> bool:
        return self.access_token is not None


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _sid_key(sid: str) -> str:
    return "sid." + hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    """Sessions in the bucket, bound (or created, idempotently) on first use by this process."""

    def __init__(self, js: JetStreamContext, *, ttl_s: int) -> None:
        self.js = js
        self.ttl_s = ttl_s
        self._kv: KeyValue | None = None

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(BUCKET)
            except NotFoundError:
                self._kv = await self.js.create_key_value(bucket=BUCKET, ttl=self.ttl_s, history=1)
        return self._kv

    async def load(self, cookie: str | None) -> PortalSession | None:
        if not cookie or len(cookie) > 128:
            return None
        try:
            entry = await (await self._bucket()).get(_key(cookie))
        except NotFoundError:
            return None
        if entry.value is None:
            return None
        data: dict[str, Any] = json.loads(entry.value)
        return PortalSession(**data)

    async def save(self, session: PortalSession, cookie: str | None = None) -> str:
        """Store the session under `cookie` (a new random one when None); returns the cookie. A signed-in
        session is also found by its provider session (`sid`), for back-channel logout."""
        cookie = cookie or secrets.token_urlsafe(32)
        bucket = await self._bucket()
        await bucket.put(_key(cookie), json.dumps(asdict(session)).encode())
        if session.sid:
            await bucket.put(_sid_key(session.sid), _key(cookie).encode())
        return cookie

    async def drop_sid(self, sid: str) -> bool:
        """Forget the session of provider session `sid` (signed out elsewhere); whether there was one."""
        bucket = await self._bucket()
        try:
            entry = await bucket.get(_sid_key(sid))
        except NotFoundError:
            return False
        await bucket.purge(_sid_key(sid))
        if entry.value:
            await bucket.purge(entry.value.decode())
        return True

    async def drop(self, cookie: str | None) -> None:
        if cookie and len(cookie) <= 128:
            await (await self._bucket()).purge(_key(cookie))


def session_store(request: Request) -> SessionStore:
    found = getattr(request.app.state, "portal_sessions", None)
    if isinstance(found, SessionStore):
        return found
    services = request.app.state.services
    made = SessionStore(services.bus.js, ttl_s=services.settings.session_ttl_s)
    request.app.state.portal_sessions = made
    return made


def _secure(request: Request) -> bool:
    """Secure over https, and whenever the issuer is https: behind a proxy that ends TLS the request looks http."""
    return request.url.scheme == "https" or request.app.state.services.settings.issuer.startswith("https://")


def set_cookie(response: Response, request: Request, cookie: str, *, max_age: int) -> None:
    response.set_cookie(
        COOKIE, cookie, max_age=max_age, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
