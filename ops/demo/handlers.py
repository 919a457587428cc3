"""HTTP handlers of one demo site: pages with conditional GET, feeds, attachments, the change hooks."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime

from aiohttp import web

from core.errors import Invalid, NotFound
from ops.demo.model import Page

NOT_FOUND_HTML = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}"><title>404 页面不存在</title></head>'
    '<body><h1>抱歉，您访问的页面不存在或已被删除</h1><p><a href="/">返回首页</a></p></body></html>'
)
FORBIDDEN_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>403</title></head><body>禁止访问</body></html>'
)


def canonical(path: str) -> str:
    """The key a page is stored under: "/" for the homepage, ".../index.html" for a column."""
    if path in ("", "/", "/index.html", "/index.htm"):
        return "/"
    return path + "index.html" if path.endswith("/") else path


def respond(request: web.Request, page: Page) -> web.Response:
    """The page, or 304 when the client's validators still match (If-None-Match wins over the date)."""
    headers = {
        "ETag": page.etag,
        "Last-Modified": format_datetime(page.last_modified, usegmt=True),
        "Cache-Control": "no-cache",
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        if "*" in tags or page.etag in tags:
            return web.Response(status=304, headers=headers)
    else:
        since = request.if_modified_since
        if since is not None and page.last_modified <= since:
            return web.Response(status=304, headers=headers)
    return web.Response(body=page.body, headers={**headers, "Content-Type": page.content_type})


class SiteHandlers:
    """Routes of one site; `lookup` finds a page or file by path, `change` edits an article, `publish` adds one
    to a column (None: the site's choice), `withdraw` removes one, `articles` lists their paths."""

    def __init__(
        self,
        *,
        charset: str,
        lookup: Callable[[str], Page | None],
        robots: Callable[[], str],
        change: Callable[[str], tuple[str, int]],
        publish: Callable[[str | None], str],
        withdraw: Callable[[str], str],
        articles: Callable[[], list[str]],
    ) -> None:
        self.charset = charset
        self.lookup = lookup
        self.robots = robots
        self.change = change
        self.publish = publish
        self.withdraw = withdraw
        self.articles = articles

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/__demo__/change", self.post_change)
        app.router.add_post("/__demo__/publish", self.post_publish)
        app.router.add_post("/__demo__/withdraw", self.post_withdraw)
        app.router.add_get("/__demo__/articles", self.get_articles)
        app.router.add_get("/{tail:.*}", self.get)
        return app

    async def get(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/admin/") or path == "/admin":
            return web.Response(status=403, body=FORBIDDEN_HTML.encode(), content_type="text/html", charset="utf-8")
        if path == "/robots.txt":
            return web.Response(text=self.robots(), content_type="text/plain", charset="utf-8")
        page = self.lookup(canonical(path))
        if page is not None:
            return respond(request, page)
        if not path.endswith("/") and self.lookup(path + "/index.html") is not None:
            raise web.HTTPMovedPermanently(location=path + "/")
        body = NOT_FOUND_HTML.format(charset=self.charset).encode(self.charset)
        return web.Response(
            status=404, body=body, headers={"Content-Type": f"text/html; charset={self.charset.upper()}"}
        )

    async def post_change(self, request: web.Request) -> web.Response:
        try:
            url, version = self.change(request.query.get("path", ""))
        except NotFound as exc:
            return web.json_response({"error": exc.message}, status=404)
        return web.json_response({"url": url, "version": version})

    async def post_publish(self, request: web.Request) -> web.Response:
        try:
            url = self.publish(request.query.get("column") or None)
        except Invalid as exc:
            return web.json_response({"error": exc.message}, status=400)
        return web.json_response({"url": url})

    async def post_withdraw(self, request: web.Request) -> web.Response:
        try:
            url = self.withdraw(request.query.get("path", ""))
        except NotFound as exc:
            return web.json_response({"error": exc.message}, status=404)
        return web.json_response({"url": url})

    async def get_articles(self, request: web.Request) -> web.Response:
        return web.json_response({"paths": self.articles()})
