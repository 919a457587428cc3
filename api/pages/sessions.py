"""The portal's sign-in sessions, kept on the server: the browser holds only a random cookie.

A session is one entry of a NATS JetStream key-value bucket (`yw_portal_sessions`, its age limit the provider's
SESSION_TTL_S), keyed by the SHA-256 of the cookie, so every API replica reads the same sessions, a restart
keeps them, and neither the bucket nor a log ever shows the cookie. The entry does hold the person's tokens
(access, refresh, ID): with IDENTITY_KEY_SECRET they are sealed (core.identity.sealing, the entry's key as
associated data), so a copy of the bucket lets nobody in; without it they are plain JSON there, like the private
keys in Postgres. A session whose tokens do not open (another secret, or none) counts as signed out. The tokens
never reach the browser. Why not Postgres: the portal (api/) owns no table, and the bus is already open in every
API process (docs/portal.md, "Sign-in").

Renewing the tokens happens once per session however many requests need it at once (two tabs, a double submit,
two replicas): the provider takes a refresh token used twice for a stolen one and ends the sign-in. In a process
a lock per session queues them; across processes the renewer first claims the entry by compare-and-set on its
revision, and whoever loses reads the session the winner renewed instead of renewing again."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from nats.js.client import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue
from starlette.requests import Request
from starlette.responses import Response

from core.errors import Invalid
from core.identity import sealing

BUCKET = "yw_portal_sessions"
COOKIE = "yw_portal"
CLAIM_S = 15.0  # a renewal claimed longer ago than this was abandoned (its process died): another may take it
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")  # sealed at rest when IDENTITY_KEY_SECRET is set
POLL_S = 0.05  # how often a request whose token has run out looks whether another replica's renewal is done

# The session with new tokens, or None when they cannot be renewed (the sign-in ended): the session is dropped.
Renew = Callable[["PortalSession"], Awaitable["PortalSession | None"]]


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
    renewing_until: float = 0.0  # a request renews the tokens (seconds since the epoch): the others wait for it

    @property
    def signed_in(self) -> bool:
        return self.access_token is not None


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _sid_key(sid: str) -> str:
    return "sid." + hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    """Sessions in the bucket, bound (or created, idempotently) on first use by this process."""

    def __init__(self, js: JetStreamContext, *, ttl_s: int, secret: str | None = None) -> None:
        self.js = js
        self.ttl_s = ttl_s
        self.secret = secret
        self._kv: KeyValue | None = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(BUCKET)
            except NotFoundError:
                self._kv = await self.js.create_key_value(bucket=BUCKET, ttl=self.ttl_s, history=1)
        return self._kv

    async def load(self, cookie: str | None) -> PortalSession | None:
        loaded = await self._entry(cookie)
        return None if loaded is None else loaded[0]

    async def _entry(self, cookie: str | None) -> tuple[PortalSession, int] | None:
        """The session and the revision it was read at."""
        if not cookie or len(cookie) > 128:
            return None
        try:
            entry = await (await self._bucket()).get(_key(cookie))
        except NotFoundError:
            return None
        if entry.value is None or entry.revision is None:
            return None
        data: dict[str, Any] = json.loads(entry.value)
        try:
            for name in TOKEN_FIELDS:
                if isinstance(data.get(name), str):
                    data[name] = sealing.unseal(self.secret, f"portal:{_key(cookie)}:{name}", data[name], what=name)
        except Invalid:
            return None  # sealed with another secret, or none configured now: signed out
        return PortalSession(**data), entry.revision

    def _encoded(self, cookie: str, session: PortalSession) -> bytes:
        """The entry's bytes: the token fields sealed when a secret is configured."""
        data = asdict(session)
        if self.secret:
            for name in TOKEN_FIELDS:
                if data[name] is not None:
                    data[name] = sealing.seal(self.secret, f"portal:{_key(cookie)}:{name}", data[name])
        return json.dumps(data).encode()

    async def _replace(self, cookie: str, session: PortalSession, revision: int) -> int | None:
        """Store the session if its entry is still at `revision`; the new revision, or None when it changed."""
        try:
            return await (await self._bucket()).update(_key(cookie), self._encoded(cookie, session), last=revision)
        except KeyWrongLastSequenceError:
            return None

    async def renewed(
        self, cookie: str, *, now: Callable[[], float], margin: float, renew: Renew
    ) -> PortalSession | None:
        """The session with an access token good for `margin` seconds yet, renewed with `renew` when it is not:
        once, whoever else asks at the same time. None when there is no session or it cannot be renewed."""
        lock = self._locks.get(_key(cookie))
        if lock is None:
            lock = self._locks[_key(cookie)] = asyncio.Lock()
        async with lock:  # this process's other requests wait here, then find the session renewed
            deadline = time.monotonic() + CLAIM_S + 5
            while time.monotonic() < deadline:
                loaded = await self._entry(cookie)
                if loaded is None:
                    return None
                session, revision = loaded
                at = now()
                if not session.signed_in or session.expires_at - at > margin:
                    return session
                if session.renewing_until > at:  # another replica renews it
                    if session.expires_at > at:
                        return session  # the token it has still works meanwhile
                    await asyncio.sleep(POLL_S)
                    continue
                claimed = await self._replace(
                    cookie, dataclasses.replace(session, renewing_until=at + CLAIM_S), revision
                )
                if claimed is not None:
                    return await self._renew(cookie, session, claimed, renew)
                # changed since we read it (renewed, or signed out): read it again
        return None

    async def _renew(self, cookie: str, session: PortalSession, claimed: int, renew: Renew) -> PortalSession | None:
        try:
            fresh = await renew(session)
        except BaseException:
            await self._replace(cookie, session, claimed)  # let go of the claim: another request may try
            raise
        if fresh is None:
            await self.drop(cookie)
            return None
        fresh.renewing_until = 0.0
        # Not stored when the entry changed under the claim: a sign-out meanwhile is not undone.
        return fresh if await self._replace(cookie, fresh, claimed) is not None else None

    async def save(self, session: PortalSession, cookie: str | None = None) -> str:
        """Store the session under `cookie` (a new random one when None); returns the cookie. A signed-in
        session is also found by its provider session (`sid`), for back-channel logout."""
        cookie = cookie or secrets.token_urlsafe(32)
        bucket = await self._bucket()
        await bucket.put(_key(cookie), self._encoded(cookie, session))
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
    settings = services.settings
    made = SessionStore(services.bus.js, ttl_s=settings.session_ttl_s, secret=settings.identity_key_secret)
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
