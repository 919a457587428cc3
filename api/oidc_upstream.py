"""Signing in through an upstream provider (federation): thin routes over core.identity.upstream
(docs/identity.md, "Upstream federation").

GET /oidc/upstream/{name}?<the site's authorization request> checks that request, records the sign-in and sends
the browser to the upstream; GET /oidc/upstream/{name}/callback finishes it there, starts a local session and
resumes the site's request (a code to its redirect_uri). Every failure is a page that says what happened."""

from __future__ import annotations

import logging
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from api.oidc import CSRF_COOKIE, SESSION_COOKIE, _services, _set_cookie, message
from core.errors import Upstream
from core.identity import provider, upstream
from core.identity.login import start_session
from core.identity.oauth import OAuthError
from core.identity.upstream_client import UpstreamRefused
from core.identity.upstream_config import configured
from core.settings import Settings

log = logging.getLogger(__name__)
BROWSER_COOKIE = "yw_upstream"  # binds a pending upstream sign-in to the browser that started it
UNKNOWN = "没有这种登录方式。请回到登录页选择。"


async def _resume(request: Request, params: dict[str, str]) -> provider.AuthRequest | Response | None:
    """The site's authorization request, checked again (None when signing in at the provider alone), or the
    page or redirect that refuses it."""
    if not params:
        return None
    services, settings, _ = _services(request)
    try:
        return await provider.parse_authorization(pool=services.pool, settings=settings, pairs=list(params.items()))
    except provider.RedirectError as exc:
        return RedirectResponse(exc.location, status_code=302)
    except OAuthError as exc:
        return message(request, "无法登录", exc.description, status=400)


async def start(request: Request) -> Response:
    services, settings, now = _services(request)
    chosen = configured(settings).get(request.path_params["name"])
    if chosen is None:
        return message(request, "无法登录", UNKNOWN, status=404)
    checked = await _resume(request, dict(request.query_params))
    if isinstance(checked, Response):
        return checked
    params = checked.params if checked is not None else {}
    browser = request.cookies.get(BROWSER_COOKIE, "")
    browser = browser if len(browser) >= 32 else secrets.token_urlsafe(32)
    try:
        location = await upstream.begin(
            pool=services.pool, settings=settings, upstream=chosen, params=params, browser=browser, now=now
        )
    except Upstream as exc:
        return message(request, "暂时无法登录", exc.message, status=502)
    response = RedirectResponse(location, status_code=302)
    _set_cookie(response, request, BROWSER_COOKIE, browser, max_age=settings.upstream_login_ttl_s)
    return response


async def callback(request: Request) -> Response:
    services, settings, now = _services(request)
    chosen = configured(settings).get(request.path_params["name"])
    if chosen is None:
        return message(request, "无法登录", UNKNOWN, status=404)
    try:
        done = await upstream.complete(
            pool=services.pool,
            settings=settings,
            upstream=chosen,
            query=dict(request.query_params),
            browser=request.cookies.get(BROWSER_COOKIE),
            now=now,
        )
    except UpstreamRefused as exc:
        log.warning("upstream sign-in refused", extra={"upstream": chosen.name, "reason": exc.message})
        return message(request, "登录未完成", exc.shown, status=400)
    except Upstream as exc:
        return message(request, "暂时无法登录", exc.message, status=502)
    checked = await _resume(request, done.params)
    if isinstance(checked, Response):
        return checked
    return await _signed_in(request, settings, done, checked)


async def _signed_in(
    request: Request, settings: Settings, done: upstream.Completed, auth: provider.AuthRequest | None
) -> Response:
    services, _, now = _services(request)
    started = await start_session(pool=services.pool, settings=settings, user_id=done.user_id, amr=done.amr, now=now)
    if auth is None:
        response: Response = message(request, "已登录", "您已登录统一身份认证平台，可以访问站群内各网站。")
    else:
        location = await provider.issue_code(
            pool=services.pool, settings=settings, request=auth, session=started.session, now=now
        )
        response = RedirectResponse(location, status_code=302)
    _set_cookie(response, request, SESSION_COOKIE, started.cookie, max_age=settings.session_ttl_s)
    _set_cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32))  # a new token with the new session
    return response


def upstream_routes(settings: Settings) -> list[Route]:
    """The federation routes; reading IDENTITY_UPSTREAMS here makes a bad configuration stop the start-up."""
    configured(settings)
    return [
        Route("/oidc/upstream/{name}", start),
        Route("/oidc/upstream/{name}/callback", callback),
    ]
