"""Templates (Jinja2 with autoescaping everywhere) and the response every page sends: prefs, CSP, status."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.pages.charts import highlighted
from api.pages.prefs import read_prefs, remember
from api.pages.security import secure
from api.pages.sessions import COOKIE as SESSION_COOKIE
from api.pages.speech import speech_engine

HERE = Path(__file__).resolve().parent
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every template, whatever its name: crawled text is always escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["highlighted"] = highlighted
ENV.filters["money"] = lambda value: f"{Decimal(str(value)):,.2f}"  # Decimal arrives as a string: 120,000.00
STATUS_OF_CODE = {
    "NOT_FOUND": 404,
    "BAD_INPUT": 400,
    "QUERY_TOO_EXPENSIVE": 400,
    "RATE_LIMITED": 429,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_IMPLEMENTED": 501,
}
KIND_NAMES = {
    "policy": "政策文件",
    "interpretation": "政策解读",
    "news": "新闻动态",
    "notice": "通知公告",
    "service": "办事服务",
    "qa": "互动问答",
    "letter": "信件选登",  # a letter published with its writer's consent (core/letters)
    "dataset": "开放数据",
    "newmedia": "政务新媒体",
    "page": "其他",
    "article": "文章",  # the crawler's kinds too: the big screen counts every document of a site by kind
    "column": "栏目页",
    "homepage": "首页",
    "other": "其他",
}
ENV.globals["kind_name"] = lambda kind: KIND_NAMES.get(kind, kind)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def letter_link(kind: str, url: str) -> str | None:
    """A published letter's page here: its id is the UUID its URL carries, whatever LETTER_URL_TEMPLATE made it
    (an older `{origin}/letters/{id}` too, which the crawled site does not serve)."""
    found = _UUID.search(url or "") if kind == "letter" else None
    return f"/letters/{found.group(0)}" if found else None


def hit_link(hit: dict[str, Any]) -> str:
    """Where a search hit opens: a published letter on its page, anything else on /documents/{id}."""
    return letter_link(hit.get("kind") or "", hit.get("url") or "") or f"/documents/{hit['documentId']}"


ENV.globals["hit_link"] = hit_link
ENV.globals["letter_link"] = letter_link


def with_mode(request: Request, path: str, elderly: bool) -> str:
    """The same page with the elderly mode switched (the link that works without JavaScript)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "elderly"]
    params.append(("elderly", "1" if elderly else "0"))
    return f"{path}?{urlencode(params)}"


def _here(request: Request) -> str:
    """This page's path and query: where sign-in brings the person back (elderly switch left out)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "elderly"]
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def page(request: Request, template: str, *, status: int = 200, frames: bool = False, **values: Any) -> HTMLResponse:
    """Render a template with what every page needs; `frames`: the page embeds one of this site's own pages."""
    prefs = read_prefs(request)
    html = ENV.get_template(template).render(
        request=request,
        prefs=prefs,
        switch_mode=with_mode(request, request.url.path, not prefs.elderly),
        path=request.url.path,
        signed_in=SESSION_COOKIE in request.cookies,  # the header's 登录 / 我的 (no session read for it)
        signin_link="/signin?" + urlencode({"next": _here(request)}),
        server_speech=speech_engine(request).name != "none",
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    remember(response, prefs)
    return secure(response, frames=frames)


def failure(request: Request, message: str, code: str | None) -> HTMLResponse:
    status = STATUS_OF_CODE.get(code or "", 502)
    return page(request, "error.html", status=status, message=message, code=code or "INTERNAL", title="出错了")
