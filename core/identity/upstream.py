"""Federation: signing in at this provider through an upstream provider (the provincial platform, or a generic
OAuth2 one), as a relying party. docs/identity.md, "Upstream federation".

`begin` records the sign-in (state and nonce hashed or kept server-side, a PKCE S256 verifier, the site's own
authorization request, the browser that started it) and gives the upstream's authorization URL; `complete`
takes the callback once, exchanges the code, verifies the ID token (or reads userinfo), maps the claims onto a
local account — found by its link, else by its ID-number hash, else created — and hands back the account and
the site's request, which the caller resumes with a new session (login.start_session)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from core.errors import Invalid
from core.identity import accounts, store, upstream_client, upstream_store
from core.identity.roles import roles_of
from core.identity.tokens import digest, new_secret
from core.identity.upstream_client import UpstreamRefused
from core.identity.upstream_config import Upstream, claim, level_of
from core.settings import Settings

log = logging.getLogger(__name__)
AMR = ("fed",)  # signed in through a federated (upstream) provider
MAX_NAME = accounts.MAX_NAME
DEFAULT_NAME = "统一身份认证用户"
LOCAL_ONLY = "此账号已开启两步验证或拥有管理权限，只能在本平台登录页用账号、密码（及动态验证码）登录。"


@dataclass(frozen=True, kw_only=True)
class Profile:
    """What an upstream says about a person, mapped: never the raw ID number, only its keyed hash."""

    subject: str
    name: str
    real_name_level: int
    id_number_hash: str | None


@dataclass(frozen=True, kw_only=True)
class Completed:
    user_id: UUID
    params: dict[str, str]  # the site's authorization request to resume (empty: sign in at the provider only)
    amr: tuple[str, ...]


def redirect_uri(settings: Settings, upstream: Upstream) -> str:
    """This provider's callback for `upstream`: register it there."""
    return settings.issuer + upstream.callback_path()


async def begin(
    *, pool: asyncpg.Pool, settings: Settings, upstream: Upstream, params: dict[str, str], browser: str, now: datetime
) -> str:
    """Record a sign-in through `upstream` for the browser holding the secret `browser`; the URL to send it to.
    Raises core.errors.Upstream when the upstream cannot be reached (nothing is recorded then)."""
    where = await upstream_client.endpoints(upstream, timeout_s=settings.upstream_timeout_s)
    state, nonce, verifier = new_secret(), new_secret(), secrets.token_urlsafe(48)
    await upstream_store.prune_logins(pool, now)
    await upstream_store.insert_login(
        pool,
        state_hash=digest(state),
        browser_hash=digest(browser),
        provider=upstream.name,
        nonce=nonce,
        code_verifier=verifier,
        params=params,
        expires_at=now + timedelta(seconds=settings.upstream_login_ttl_s),
    )
    return upstream_client.authorization_url(
        upstream, where, redirect_uri=redirect_uri(settings, upstream), state=state, nonce=nonce, verifier=verifier
    )


async def _pending(
    *, pool: asyncpg.Pool, upstream: Upstream, state: str | None, browser: str | None, now: datetime
) -> upstream_store.PendingLogin:
    pending = await upstream_store.take_login(pool, digest(state), now) if state else None
    if pending is None or pending.provider != upstream.name:
        raise UpstreamRefused(
            "unknown state (or another upstream's)", shown="这个登录请求无效（state 不符）。请回到网站重新登录。"
        )
    if pending.used:
        raise UpstreamRefused(
            "callback replayed: this state was used before",
            shown="这个登录请求已经完成过一次，不能再次使用。请回到网站重新登录。",
        )
    if pending.expires_at <= now:
        raise UpstreamRefused("the pending sign-in expired", shown="登录用时过长，请求已过期。请回到网站重新登录。")
    if not browser or not hmac.compare_digest(digest(browser), pending.browser_hash):
        raise UpstreamRefused(
            "the callback came to another browser than the one that started the sign-in",
            shown="请在发起登录的同一个浏览器中完成登录。",
        )
    return pending


async def complete(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    upstream: Upstream,
    query: dict[str, str],
    browser: str | None,
    now: datetime,
) -> Completed:
    """Finish a sign-in from the upstream's callback (`query`): raises UpstreamRefused for a callback that must
    not sign anyone in (unknown, replayed, expired or foreign state; an error from the upstream; a refused code
    or ID token) and core.errors.Upstream when the upstream cannot be reached."""
    pending = await _pending(pool=pool, upstream=upstream, state=query.get("state"), browser=browser, now=now)
    if "error" in query or not query.get("code"):
        log.info("upstream sign-in not completed", extra={"upstream": upstream.name, "error": query.get("error")})
        raise UpstreamRefused(
            "the upstream answered with an error or without a code",
            shown="在统一身份认证平台的登录没有完成（已取消或被拒绝）。",
        )
    if upstream.kind == "oidc" and "iss" in query and query["iss"] != upstream.issuer:  # RFC 9207: a mix-up
        raise UpstreamRefused(
            "the callback's iss names another issuer (mix-up)", shown="登录结果来自另一个身份认证平台，已拒绝。"
        )
    claims = await _claims(settings, upstream, code=query["code"], pending=pending, now=now)
    profile = await map_profile(pool=pool, settings=settings, upstream=upstream, claims=claims)
    user_id = await link_account(pool=pool, upstream=upstream, profile=profile, now=now)
    log.info("signed in through upstream", extra={"upstream": upstream.name, "user_id": str(user_id)})
    return Completed(user_id=user_id, params=pending.params, amr=AMR)


async def _claims(
    settings: Settings, upstream: Upstream, *, code: str, pending: upstream_store.PendingLogin, now: datetime
) -> dict[str, Any]:
    timeout = settings.upstream_timeout_s
    where = await upstream_client.endpoints(upstream, timeout_s=timeout)
    token = await upstream_client.exchange_code(
        upstream,
        where,
        code=code,
        redirect_uri=redirect_uri(settings, upstream),
        verifier=pending.code_verifier,
        timeout_s=timeout,
    )
    if upstream.kind == "oauth2":
        return await upstream_client.userinfo(upstream, where, access_token=token["access_token"], timeout_s=timeout)
    claims = await upstream_client.id_token_claims(
        upstream, where, token=token, nonce=pending.nonce, timeout_s=timeout, now=now
    )
    wanted = (upstream.claims.name, upstream.claims.real_name_level, upstream.claims.id_number)
    if where.userinfo_endpoint and any(p is not None and claim(claims, p) is None for p in wanted):
        more = await upstream_client.userinfo(upstream, where, access_token=token["access_token"], timeout_s=timeout)
        if more.get("sub") != claims["sub"]:  # OIDC Core §5.3.2: userinfo of someone else is refused
            raise UpstreamRefused(f"{upstream.name}'s userinfo names another subject")
        claims = more | claims
    return claims


async def map_profile(*, pool: asyncpg.Pool, settings: Settings, upstream: Upstream, claims: dict[str, Any]) -> Profile:
    """The upstream's claims mapped onto local fields: the ID number becomes its keyed hash here and goes no
    further (a malformed one is dropped with a warning that does not show it)."""
    subject = claim(claims, upstream.claims.subject)
    if isinstance(subject, int) and not isinstance(subject, bool):
        subject = str(subject)
    if not isinstance(subject, str) or not subject.strip():
        raise UpstreamRefused(f"{upstream.name} did not say who signed in (claim {upstream.claims.subject!r})")
    name = claim(claims, upstream.claims.name)
    name = name.strip()[:MAX_NAME] if isinstance(name, str) and name.strip() else DEFAULT_NAME
    number = claim(claims, upstream.claims.id_number)
    number_hash = None
    if isinstance(number, str) and number:
        try:
            number_hash = await accounts.id_number_hash(pool=pool, settings=settings, id_number=number)
        except Invalid:
            log.warning("upstream sent a malformed ID number; not used", extra={"upstream": upstream.name})
    return Profile(
        subject=subject,
        name=name,
        real_name_level=level_of(claim(claims, upstream.claims.real_name_level)),
        id_number_hash=number_hash,
    )


def local_username(upstream: Upstream, subject: str) -> str:
    """The username of an account created for an upstream account: stable, and saying nothing about the person."""
    return f"{upstream.name}.{hashlib.sha256(subject.encode()).hexdigest()[:20]}"


async def link_account(*, pool: asyncpg.Pool, upstream: Upstream, profile: Profile, now: datetime) -> UUID:
    """The local account of an upstream account: the linked one; else, on its first sign-in, the account with
    the same ID-number hash (when the upstream vouches for the person at `link_min_level`), else a new account
    without a password. The account's name and real-name level follow the upstream at every sign-in."""
    async with pool.acquire() as conn, conn.transaction():
        user_id = await upstream_store.linked_user(conn, upstream.name, profile.subject)
        if user_id is None:
            user_id = await _first_link(conn, upstream, profile, now)
        vouched = profile.real_name_level >= upstream.link_min_level
        enabled = await upstream_store.refresh_account(
            conn,
            user_id=user_id,
            provider=upstream.name,
            subject=profile.subject,
            name=profile.name,
            real_name_level=profile.real_name_level,
            id_number_hash=profile.id_number_hash if vouched else None,
            now=now,
        )
        await _refuse_local_factors(conn, user_id)  # raising rolls the link back
    if not enabled:
        raise UpstreamRefused("the linked account is disabled", shown="此账号已停用，请联系网站管理员。")
    return user_id


async def _refuse_local_factors(conn: asyncpg.Connection, user_id: UUID) -> None:
    """An account with a second factor, or one with a local password that holds a role, signs in only on the local
    form: the upstream vouches for the person, not for the factors this provider asks of them. An account the
    upstream made (no password) has no local factor to skip, so a role granted to it does not lock it out."""
    user = await store.user_by_id(conn, user_id)
    if user is None:
        return
    if user.has_totp or (user.has_password and await roles_of(conn, user_id)):
        raise UpstreamRefused(
            "the linked account has a second factor or a role: local sign-in only",
            shown=LOCAL_ONLY,
        )


async def _first_link(conn: asyncpg.Connection, upstream: Upstream, profile: Profile, now: datetime) -> UUID:
    # An ID number the upstream does not vouch for links nothing and is not kept: else an unverified claim of
    # someone else's number would take over (or squat) their account.
    number_hash = profile.id_number_hash if profile.real_name_level >= upstream.link_min_level else None
    user_id = await upstream_store.user_by_id_number_hash(conn, number_hash) if number_hash else None
    if user_id is None:
        user_id = await store.insert_user(
            conn,
            username=local_username(upstream, profile.subject),
            name=profile.name,
            kind="person",
            real_name_level=profile.real_name_level,
            password_hash=None,
            credit_code=None,
            id_number_hash=number_hash,
            totp_secret=None,
        )
    if user_id is None:  # taken: by a concurrent first sign-in of the same person (then use its link), or not
        linked = await upstream_store.linked_user(conn, upstream.name, profile.subject)
        if linked is not None:
            return linked
        raise UpstreamRefused(
            "the new account's username or ID-number hash was taken meanwhile",
            shown="该身份已关联其他账号，请联系网站管理员。",
        )
    return await upstream_store.insert_link(
        conn, provider=upstream.name, subject=profile.subject, user_id=user_id, now=now
    )
