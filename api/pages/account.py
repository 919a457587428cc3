"""Sign-in, the user space (我的) and sign-out: the portal as a relying party of the group's provider.

`/signin` starts the code flow with PKCE, `/signin/callback` exchanges the code on the server and keeps the
tokens in a server-side session (api/pages/sessions.py), `/me` reads the user space through the public GraphQL
schema with the person's access token, `/me/letters` posts a letter from a plain HTML form (session-bound CSRF
token), `/signout` ends the portal's session and the provider's (RP-initiated logout)."""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from api.pages import queries, relying
from api.pages.gql import gateway
from api.pages.render import failure, page
from api.pages.security import secure
from api.pages.sessions import COOKIE as SESSION_COOKIE
from api.pages.sessions import PortalSession, clear_cookie, session_store, set_cookie
from core.errors import Unauthenticated
from core.identity.oauth import OAuthError
from core.services import Services

LETTER_KINDS = ("咨询", "投诉", "建议")
REFRESH_MARGIN_S = 30  # renew the access token this long before it expires
NO_STORE = {"cache-control": "no-store"}
STATUS_OF_CODE = {"BAD_INPUT": 400, "FORBIDDEN": 403, "NOT_FOUND": 404, "UNAUTHENTICATED": 401}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _redirect(location: str) -> Response:
    return secure(RedirectResponse(location, status_code=303, headers=NO_STORE))


def safe_back_to(value: str | None) -> str:
    """Only a path of this site (no scheme, no host, no `//`): sign-in never becomes an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/me"
    return value


async def signin(request: Request) -> Response:
    settings = _services(request).settings
    back_to = safe_back_to(request.query_params.get("next"))
    # The callback and its cookie live at the issuer's host: start there. Once only (`hop`): a proxy that
    # rewrites Host would otherwise send the browser round in circles.
    if request.url.netloc != urlsplit(settings.issuer).netloc and "hop" not in request.query_params:
        return _redirect(f"{settings.issuer}/signin?{urlencode({'next': back_to, 'hop': '1'})}")
    store = session_store(request)
    current = await store.load(request.cookies.get(SESSION_COOKIE))
    if current is not None and current.signed_in:  # signed in already: nothing to start
        return _redirect(back_to)
    await relying.portal_client(_services(request))
    pending = relying.Pending.start(back_to)
    cookie = await store.save(PortalSession(pending=asdict(pending)))
    response = _redirect(pending.authorization_url(settings))
    set_cookie(response, request, cookie, max_age=settings.auth_code_ttl_s + 600)
    return response


async def callback(request: Request) -> Response:
    store, params = session_store(request), request.query_params
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await store.load(cookie)
    if session is None or session.pending is None:
        return failure(request, "登录已过期或来源不明，请重新登录。", "UNAUTHENTICATED")
    pending = relying.Pending(**session.pending)
    if not pending.same_state(params.get("state")):
        return failure(request, "登录请求与本页面不符（state 不一致），请重新登录。", "UNAUTHENTICATED")
    if params.get("error"):
        await store.drop(cookie)
        return failure(request, f"登录未完成：{params.get('error_description') or params['error']}", "UNAUTHENTICATED")
    services = _services(request)
    if params.get("iss") not in (None, services.settings.issuer):  # RFC 9207: the answer is from our provider
        return failure(request, "登录响应来自其他身份提供方，已拒绝。", "UNAUTHENTICATED")
    try:
        got = await relying.exchange(services, code=params.get("code", ""), pending=pending)
    except (OAuthError, Unauthenticated) as exc:
        await store.drop(cookie)
        reason = exc.description if isinstance(exc, OAuthError) else exc.message
        return failure(request, f"登录未完成：{reason}", "UNAUTHENTICATED")
    await store.drop(cookie)  # a new cookie for the signed-in session: the one from before sign-in is dead
    signed = PortalSession(
        access_token=got.access_token,
        refresh_token=got.refresh_token,
        id_token=got.id_token,
        expires_at=got.expires_at,
        name=got.name,
        sid=got.sid,
    )
    new_cookie = await store.save(signed)
    response = _redirect(pending.back_to)
    set_cookie(response, request, new_cookie, max_age=services.settings.session_ttl_s)
    return response


async def _fresh(request: Request) -> tuple[str, PortalSession] | None:
    """The signed-in session with an access token good for a while yet (renewed when near expiry); None when
    there is none or it can no longer be renewed (the provider's sign-in ended), which forgets it."""
    store, cookie, services = session_store(request), request.cookies.get(SESSION_COOKIE), _services(request)
    session = await store.load(cookie)
    if session is None or not session.signed_in or cookie is None:
        return None
    if session.expires_at - services.clock().timestamp() > REFRESH_MARGIN_S:
        return cookie, session

    async def renew(old: PortalSession) -> PortalSession | None:
        if old.refresh_token is None:
            return None
        try:
            got = await relying.refresh(services, refresh_token=old.refresh_token, name=old.name, sid=old.sid)
        except OAuthError:
            return None
        return dataclasses.replace(
            old,
            access_token=got.access_token,
            refresh_token=got.refresh_token,
            id_token=got.id_token or old.id_token,
            expires_at=got.expires_at,
        )

    # Two tabs (or two replicas) near expiry at once: renewed once, see SessionStore.renewed.
    renewed = await store.renewed(
        cookie, now=lambda: services.clock().timestamp(), margin=REFRESH_MARGIN_S, renew=renew
    )
    if renewed is None or not renewed.signed_in:
        return None
    return cookie, renewed


async def signed_in_token(request: Request) -> str | None:
    """The signed-in person's access token (renewed when near expiry), for a page that reads their own records;
    None when nobody is signed in here."""
    fresh = await _fresh(request)
    return fresh[1].access_token if fresh is not None else None


def _signed_out(request: Request) -> Response:
    """The sign-in ended (here or on another site of the group): say so, with the way back in."""
    response = failure(request, "您的登录已失效或已在其他网站退出，请重新登录。", "UNAUTHENTICATED")
    clear_cookie(response, request)
    return response


async def _not_signed_in(request: Request) -> Response:
    """No usable session: a sign-in that ended says so; none at all, or one never finished, starts sign-in."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is not None and await session_store(request).load(cookie) is None:
        return _signed_out(request)
    return _redirect("/signin?" + urlencode({"next": "/me"}))


async def me(request: Request) -> Response:
    fresh = await _fresh(request)
    if fresh is None:
        return await _not_signed_in(request)
    return await _me_page(request, fresh[1], form={}, error=None, sent=request.query_params.get("sent"))


async def _me_page(
    request: Request,
    session: PortalSession,
    *,
    form: dict[str, str],
    error: str | None,
    sent: str | None,
    status: int = 200,
) -> Response:
    answer = await gateway(request).run(request, queries.ME, bearer=session.access_token)
    if answer.code() == "UNAUTHENTICATED":
        await session_store(request).drop(request.cookies.get(SESSION_COOKIE))
        return _signed_out(request)
    if answer.errors:
        return failure(request, answer.errors[0][0], answer.code())
    data = answer.data
    letters = data["me"]["letters"]["items"]
    just_sent = next((x for x in letters if x["id"] == sent), None) if sent else None
    response = page(
        request,
        "me.html",
        status=status,
        title="我的 - 统一用户空间",
        me=data["me"],
        sites=data.get("sites") or [],
        site_names={s["id"]: s["name"] for s in data.get("sites") or []},
        kinds=LETTER_KINDS,
        csrf=session.csrf,
        form=form,
        error=error,
        sent=just_sent,
    )
    response.headers.update(NO_STORE)
    return response


def _letter_fields(form: Any) -> dict[str, str]:
    names = ("site", "kind", "department", "subject", "body", "consent")
    return {n: str(form.get(n, "")).strip() for n in names}


async def submit_letter(request: Request) -> Response:
    fresh = await _fresh(request)
    if fresh is None:
        return await _not_signed_in(request)
    _, session = fresh
    form = await request.form()
    fields = _letter_fields(form)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
        error = "页面已过期或来源不可信，请重新提交。"
        return await _me_page(request, session, form=fields, error=error, sent=None, status=403)
    variables = {k: v for k, v in fields.items() if k != "consent"} | {"consent": fields["consent"] == "1"}
    answer = await gateway(request).run(request, queries.SUBMIT_LETTER, variables, bearer=session.access_token)
    if answer.errors:
        status = STATUS_OF_CODE.get(answer.code() or "", 502)
        return await _me_page(request, session, form=fields, error=answer.errors[0][0], sent=None, status=status)
    return _redirect("/me?" + urlencode({"sent": answer.data["submitLetter"]["id"]}) + "#sent")


async def signout(request: Request) -> Response:
    """GET asks (a link or an image elsewhere cannot sign anyone out); POST with the form's token signs out
    here and at the provider, which ends the sign-in on every site of the group."""
    store, cookie = session_store(request), request.cookies.get(SESSION_COOKIE)
    session = await store.load(cookie)
    if session is None or not session.signed_in:
        response = _redirect("/")
        clear_cookie(response, request)
        return response
    if request.method == "GET":
        return page(request, "signout.html", title="退出登录", csrf=session.csrf, name=session.name)
    token = (await request.form()).get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
        return page(request, "signout.html", status=403, title="退出登录", csrf=session.csrf, name=session.name)
    await store.drop(cookie)
    response = _redirect(relying.logout_url(_services(request).settings, session.id_token))
    clear_cookie(response, request)
    return response


async def backchannel(request: Request) -> Response:
    """The provider's back-channel logout (a POST from the server, no cookie): the person signed out on another
    site of the group, so the portal forgets their session at once. 400 for a token that does not verify."""
    token = (await request.form()).get("logout_token")
    try:
        if not isinstance(token, str):
            raise Unauthenticated("logout_token is required")
        sid = await relying.logged_out_sid(_services(request), token)
    except Unauthenticated as exc:
        return secure(PlainTextResponse(exc.message, status_code=400, headers=NO_STORE))
    await session_store(request).drop_sid(sid)
    return secure(PlainTextResponse("", status_code=200, headers=NO_STORE))
