"""The OpenID Connect provider's HTTP face: thin Starlette routes over core.identity (docs/identity.md).

Discovery, JWKS, the authorization endpoint and its login form (plain HTML, no JavaScript, CSRF token) and
logout; the token, userinfo, revocation and introspection endpoints are in api/oidc_tokens.py. Sessions are
cookies holding a random secret (only its hash is stored), HttpOnly, SameSite=Lax, Secure over https."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from api.oidc_tokens import NO_STORE, _services, introspect, revoke, token, userinfo
from core.identity import keys, provider
from core.identity.authorization import single_params
from core.identity.login import Refused, current_session, sign_in, start_session
from core.identity.logout import end_session, parse_logout
from core.identity.oauth import OAuthError
from core.identity.upstream_config import login_links
from core.settings import Settings
from schema.context import CLIENT_SCOPE_KEY

SESSION_COOKIE = "yw_session"
CSRF_COOKIE = "yw_csrf"
COOKIE_PATH = "/oidc"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_HEADERS = NO_STORE | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SCOPES_SUPPORTED = list(provider.SCOPES)
CLAIMS = ["sub", "name", "preferred_username", "account_kind", "real_name_level", "iss", "aud", "exp", "iat"]
CLAIMS += ["auth_time", "nonce", "sid", "amr", "at_hash", "azp"]


def discovery_document(settings: Settings) -> dict[str, Any]:
    base = settings.issuer
    auth_methods = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oidc/authorize",
        "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "jwks_uri": f"{base}/oidc/jwks",
        "end_session_endpoint": f"{base}/oidc/logout",
        "revocation_endpoint": f"{base}/oidc/revoke",
        "introspection_endpoint": f"{base}/oidc/introspect",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "revocation_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS,
        "ui_locales_supported": ["zh-CN"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }


async def discovery(request: Request) -> Response:
    _, settings, _ = _services(request)
    return JSONResponse(discovery_document(settings), headers={"Cache-Control": "max-age=300"})


async def jwks(request: Request) -> Response:
    services, settings, now = _services(request)
    return JSONResponse(await keys.jwks(services.pool, settings, now), headers={"Cache-Control": "max-age=60"})


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="lax", secure=_secure(request)
    )


def _csrf_value(request: Request) -> str:
    value = request.cookies.get(CSRF_COOKIE, "")
    return value if len(value) >= 32 else secrets.token_urlsafe(32)


def _csrf_ok(request: Request, form_value: object) -> bool:
    """Double submit: the form's token equals the HttpOnly cookie's, which another site can neither read nor
    set; SameSite=Lax keeps the cookie off cross-site POSTs anyway."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return len(cookie) >= 32 and isinstance(form_value, str) and hmac.compare_digest(cookie, form_value)


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    csrf = _csrf_value(request)
    response = TEMPLATES.TemplateResponse(
        request, template, context | {"csrf_token": csrf}, status_code=status, headers=PAGE_HEADERS
    )
    _set_cookie(response, request, CSRF_COOKIE, csrf)
    return response


def message(request: Request, heading: str, text: str, status: int = 200) -> Response:
    return page(request, "message.html", {"heading": heading, "message": text, "alert": status >= 400}, status)


def login_page(
    request: Request, params: dict[str, str], *, error: str = "", username: str = "", status: int = 200
) -> Response:
    context = {
        "action": "/oidc/login",
        "params": params,
        "client_id": params.get("client_id", ""),
        "error": error,
        "username": username,
        # federation: each upstream's link, carrying the authorization request (docs/identity.md, upstream federation)
        "upstreams": login_links(request.app.state.services.settings, params),
    }
    return page(request, "login.html", context, status)


async def _pairs(request: Request) -> list[tuple[str, str]]:
    if request.method == "POST":
        form = await request.form()
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return list(request.query_params.multi_items())


async def authorize(request: Request) -> Response:
    services, settings, now = _services(request)
    try:
        auth = await provider.parse_authorization(pool=services.pool, settings=settings, pairs=await _pairs(request))
    except provider.RedirectError as exc:
        return RedirectResponse(exc.location, status_code=302)
    except OAuthError as exc:
        return message(request, "无法登录", exc.description, status=400)
    session = await current_session(pool=services.pool, cookie=request.cookies.get(SESSION_COOKIE), now=now)
    if session is not None and not auth.wants_a_new_sign_in(session.auth_time, now):
        location = await provider.issue_code(
            pool=services.pool, settings=settings, request=auth, session=session, now=now
        )
        return RedirectResponse(location, status_code=302)
    if auth.prompt == "none":
        refused = provider.with_query(
            auth.redirect_uri, {"error": "login_required", "state": auth.state, "iss": settings.issuer}
        )
        return RedirectResponse(refused, status_code=302)
    return login_page(request, auth.params)


async def login(request: Request) -> Response:
    services, settings, now = _services(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params = {k: fields[k] for k in provider.PASSED + provider.PASSED_TOO if k in fields}
    username = fields.get("username", "")[:64]
    if not _csrf_ok(request, fields.get("csrf_token")):
        return login_page(
            request, params, error="页面已过期或来源不可信，请重新输入后登录。", username=username, status=403
        )
    auth = None
    if params:
        try:
            auth = await provider.parse_authorization(pool=services.pool, settings=settings, pairs=list(params.items()))
        except provider.RedirectError as exc:
            return RedirectResponse(exc.location, status_code=303)
        except OAuthError as exc:
            return message(request, "无法登录", exc.description, status=400)
    outcome = await sign_in(
        pool=services.pool,
        settings=settings,
        username=username,
        password=fields.get("password", ""),
        totp=fields.get("totp") or None,
        address=str(request.scope.get(CLIENT_SCOPE_KEY) or (request.client.host if request.client else "unknown")),
        now=now,
    )
    if isinstance(outcome, Refused):
        status = 429 if outcome.locked_until else 401
        return login_page(request, params, error=outcome.message, username=username, status=status)
    amr = ["pwd", "otp"] if fields.get("totp") else ["pwd"]
    started = await start_session(pool=services.pool, settings=settings, user_id=outcome, amr=amr, now=now)
    if auth is None:
        response = message(request, "已登录", "您已登录统一身份认证平台，可以访问站群内各网站。")
    else:
        location = await provider.issue_code(
            pool=services.pool, settings=settings, request=auth, session=started.session, now=now
        )
        response = RedirectResponse(location, status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, started.cookie, max_age=settings.session_ttl_s)
    _set_cookie(response, request, CSRF_COOKIE, secrets.token_urlsafe(32))  # a new token with the new session
    return response


async def logout(request: Request) -> Response:
    services, settings, now = _services(request)
    try:
        fields = single_params(await _pairs(request))  # as /oidc/authorize: a repeated parameter is refused
        plan = await parse_logout(
            pool=services.pool,
            settings=settings,
            hint=fields.get("id_token_hint"),
            post_logout_redirect_uri=fields.get("post_logout_redirect_uri"),
            client_id=fields.get("client_id"),
            state=fields.get("state"),
            now=now,
        )
    except OAuthError as exc:
        return message(request, "无法退出", exc.description, status=400)
    session = await current_session(pool=services.pool, cookie=request.cookies.get(SESSION_COOKIE), now=now)
    confirmed = request.method == "POST" and _csrf_ok(request, fields.get("csrf_token"))
    if plan.session_id is None and not confirmed:  # no hint: the person confirms (a link cannot sign them out)
        kept = {k: v for k, v in fields.items() if k in ("post_logout_redirect_uri", "client_id", "state")}
        if plan.client is not None:  # named by a hint that no longer verifies: where to go back stays checked
            kept["client_id"] = plan.client.client_id
        return page(request, "logout.html", {"action": "/oidc/logout", "params": kept})
    ending = {plan.session_id} if plan.session_id else set()
    if session is not None and (plan.user_id is None or session.user_id == plan.user_id):
        ending.add(session.id)
    for session_id in ending:
        await end_session(pool=services.pool, settings=settings, session_id=session_id, now=now)
    status = 303 if request.method == "POST" else 302
    response = (
        RedirectResponse(plan.redirect, status_code=status)
        if plan.redirect
        else message(request, "已退出", "您已退出统一身份认证平台，站群内各网站的登录均已结束。")
    )
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, secure=_secure(request), httponly=True, samesite="lax")
    return response


ROUTES = [
    Route("/.well-known/openid-configuration", discovery),
    Route("/oidc/jwks", jwks),
    Route("/oidc/authorize", authorize, methods=["GET", "POST"]),
    Route("/oidc/login", login, methods=["POST"]),
    Route("/oidc/token", token, methods=["POST"]),
    Route("/oidc/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/oidc/revoke", revoke, methods=["POST"]),
    Route("/oidc/introspect", introspect, methods=["POST"]),
    Route("/oidc/logout", logout, methods=["GET", "POST"]),
]
