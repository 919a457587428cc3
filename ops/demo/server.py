"""Serves the demo site group on loopback: one aiohttp app per site on ports that survive restarts."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from core.errors import Conflict, NotFound
from ops.demo.feeds import MIME, attachment_bytes, robots, rss, sitemap
from ops.demo.generator import build_group
from ops.demo.handlers import SiteHandlers, canonical
from ops.demo.model import Article, Attachment, Page, SiteContent, list_path
from ops.demo.newsroom import Newsroom
from ops.demo.render import BEIJING, SiteRenderer, to_utc

log = logging.getLogger(__name__)

MAX_PAGES = 2000
EXCLUDE = ["/admin/"]


def beijing_now() -> datetime:
    return (datetime.now(UTC) + BEIJING).replace(tzinfo=None, microsecond=0)


def as_beijing(moment: datetime) -> datetime:
    """Naive Beijing time, the clock of every demo date; aware datetimes are converted."""
    return (moment.astimezone(UTC) + BEIJING).replace(tzinfo=None) if moment.tzinfo else moment


class DemoSiteGroup:
    """The three demo sites served on stable loopback ports, with article changes kept in `state_dir`."""

    def __init__(self, state_dir: Path, *, now: datetime | None = None, host: str = "127.0.0.1") -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.now = as_beijing(now) if now is not None else self._anchor()
        self.contents: dict[str, SiteContent] = {c.spec.id: c for c in build_group(self.now)}
        self.newsroom = Newsroom(self.state_dir)  # articles published or withdrawn at run time, if any
        self.newsroom.replay(self.contents)
        self._articles = {sid: {a.path: a for a in c.articles()} for sid, c in self.contents.items()}
        self._files = {
            sid: {f.path: (a, f) for a in c.articles() for f in a.attachments if not f.missing}
            for sid, c in self.contents.items()
        }
        self._changes: dict[str, dict[str, list[str]]] = self._load("changes.json")
        self._ports: dict[str, int] = {}
        self._pages: dict[str, dict[str, Page]] = {}
        self._extras: dict[str, dict[str, Page]] = {}
        self._served_files: dict[str, Page] = {}
        self._renderers: dict[str, SiteRenderer] = {}
        self._runners: list[web.AppRunner] = []

    def _load(self, name: str) -> Any:
        path = self.state_dir / name
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def _save(self, name: str, data: object) -> None:
        tmp = self.state_dir / f".{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, self.state_dir / name)

    def _anchor(self) -> datetime:
        """The generator's `now`, fixed at the first start so that article URLs never move."""
        state = self._load("state.json")
        if "now" in state:
            return datetime.fromisoformat(state["now"])
        now = beijing_now().replace(second=0)
        self._save("state.json", {"now": now.isoformat()})
        return now

    def _try_bind(self, port: int) -> socket.socket | None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    def _bind_all(self, saved: dict[str, int]) -> dict[str, socket.socket]:
        """Persisted ports first, so that a fresh free port never takes one another site still owns."""
        socks: dict[str, socket.socket] = {}
        try:
            for sid in self.contents:
                sock = self._try_bind(saved[sid]) if saved.get(sid) else None
                if sock is not None:
                    socks[sid] = sock
                elif saved.get(sid):
                    log.warning("demo port %s of %s is taken, choosing a new one", saved[sid], sid)
            for sid in self.contents:
                if sid not in socks:
                    fresh = self._try_bind(0)
                    if fresh is None:
                        raise Conflict(f"cannot bind a port on {self.host}")
                    socks[sid] = fresh
        except BaseException:
            for sock in socks.values():
                sock.close()
            raise
        return {sid: socks[sid] for sid in self.contents}

    async def start(self) -> None:
        """Bind the ports (the persisted ones when still free), render every page and start serving."""
        if self._runners:
            raise Conflict("the demo site group is already running")
        saved: dict[str, int] = self._load("ports.json")
        socks = self._bind_all(saved)
        try:
            self._ports = {sid: int(s.getsockname()[1]) for sid, s in socks.items()}
            if self._ports != saved:
                self._save("ports.json", self._ports)
            self._render()
            for sid, sock in socks.items():
                runner = web.AppRunner(self._handlers(sid).app(), access_log=None)
                await runner.setup()
                self._runners.append(runner)
                await web.SockSite(runner, sock).start()
        except BaseException:
            for sock in socks.values():
                sock.close()
            await self.stop()
            raise
        log.info("demo site group serving on %s", ", ".join(f"{k}={v}" for k, v in self._ports.items()))

    async def stop(self) -> None:
        """Stop serving; the ports and changes stay in state_dir for the next start."""
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

    def base(self, site_id: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._ports[site_id]}"

    def _render(self) -> None:
        bases = {sid: self.base(sid) for sid in self.contents}
        names = {sid: c.spec.name for sid, c in self.contents.items()}
        for sid, content in self.contents.items():
            renderer = self._renderers[sid] = SiteRenderer(content, bases, names)
            updates = {path: [datetime.fromisoformat(t) for t in ts] for path, ts in self._changes.get(sid, {}).items()}
            pages = renderer.pages({p: u for p, u in updates.items() if p in self._articles[sid]})
            self._pages[sid] = pages
            extras = {"/rss.xml": rss(content, bases[sid])}
            if content.spec.level == "市":
                extras["/sitemap.xml"] = sitemap(pages, bases[sid])
            self._extras[sid] = extras

    def _handlers(self, site_id: str) -> SiteHandlers:
        content = self.contents[site_id]

        def lookup(path: str) -> Page | None:
            return self._pages[site_id].get(path) or self._extras[site_id].get(path) or self._file(site_id, path)

        return SiteHandlers(
            charset=content.spec.charset,
            lookup=lookup,
            robots=lambda: robots(self.base(site_id), content.spec.level == "市"),
            change=lambda path: self._change(site_id, path),
            publish=lambda column: self.publish_page(site_id, column),
            withdraw=lambda path: self.withdraw_page(site_id, path),
            articles=lambda: list(self._articles[site_id]),
        )

    def _file(self, site_id: str, path: str) -> Page | None:
        found: tuple[Article, Attachment] | None = self._files[site_id].get(path)
        if found is None:
            return None
        key = site_id + path
        if key not in self._served_files:
            article, attachment = found
            body = attachment_bytes(attachment)
            etag = f'"{article.ident:x}-{len(body):x}"'
            modified = to_utc(article.published)
            self._served_files[key] = Page(body, MIME[attachment.ext], etag, modified)
        return self._served_files[key]

    def _change(self, site_id: str, path: str) -> tuple[str, int]:
        if site_id not in self.contents:
            raise NotFound(f"no demo site {site_id!r}")
        article = self._articles[site_id].get(canonical(path))
        if article is None:
            raise NotFound(f"no article at {path!r} on {site_id}")
        if not self._pages:
            raise Conflict("the demo site group has not been started")
        stamps = self._changes.setdefault(site_id, {}).setdefault(article.path, [])
        updates = [datetime.fromisoformat(t) for t in stamps]
        previous = max([article.published, *updates])
        updates.append(max(beijing_now(), previous + timedelta(seconds=1)))
        stamps.append(updates[-1].isoformat())
        self._save("changes.json", self._changes)
        self._pages[site_id][article.path] = self._renderers[site_id].article(article, updates)
        if "/sitemap.xml" in self._extras[site_id]:
            self._extras[site_id]["/sitemap.xml"] = sitemap(self._pages[site_id], self.base(site_id))
        return self.base(site_id) + article.path, len(updates)

    def change_page(self, site_id: str, path: str) -> str:
        """Append a dated 更新 paragraph to an article; the change is kept in state_dir across restarts."""
        return self._change(site_id, path)[0]

    def publish_page(self, site_id: str, column: str | None = None) -> str:
        """Publish a new article (news or a notice) at the top of a column; its URL. Kept across restarts."""
        content = self._started(site_id)
        previous = max((a.published for a in content.articles()), default=self.now)
        article = self.newsroom.publish(content, column, max(beijing_now(), previous + timedelta(seconds=1)))
        self._articles[site_id][article.path] = article
        self._pages[site_id][article.path] = self._renderers[site_id].article(article, [])
        self._relist(site_id, article.column.slug)
        return self.base(site_id) + article.path

    def withdraw_page(self, site_id: str, path: str) -> str:
        """Take an article off the site: its page and attachments answer 404 from now on. Kept across restarts."""
        content = self._started(site_id)
        if canonical(path) not in self._articles[site_id]:
            raise NotFound(f"no article at {path!r} on {site_id}")
        article = self.newsroom.withdraw(content, canonical(path))
        del self._articles[site_id][article.path], self._pages[site_id][article.path]
        for attachment in article.attachments:
            self._files[site_id].pop(attachment.path, None)
        self._relist(site_id, article.column.slug)
        return self.base(site_id) + article.path

    def _started(self, site_id: str) -> SiteContent:
        if site_id not in self.contents:
            raise NotFound(f"no demo site {site_id!r}")
        if not self._pages:
            raise Conflict("the demo site group has not been started")
        return self.contents[site_id]

    def _relist(self, site_id: str, slug: str) -> None:
        """Render again what lists a column's articles: its list pages, the homepage, the feeds. Article pages
        stay as they were published (their sidebars too), as a CMS that renders a page once leaves them."""
        pages, renderer, content = self._pages[site_id], self._renderers[site_id], self.contents[site_id]
        column = next(c for c in content.spec.columns if c.slug == slug)
        for path in [p for p in pages if p.startswith(f"/{slug}/index")]:
            del pages[path]
        for n in range(content.list_pages(slug)):
            pages[list_path(slug, n)] = renderer.list_page(column, n)
        pages["/"] = renderer.homepage()
        self._extras[site_id]["/rss.xml"] = rss(content, self.base(site_id))
        if "/sitemap.xml" in self._extras[site_id]:
            self._extras[site_id]["/sitemap.xml"] = sitemap(pages, self.base(site_id))

    def page_count(self) -> int:
        """HTML pages in the group: homepages, column list pages and articles."""
        return sum(len(c.html_paths()) for c in self.contents.values())

    def sites(self) -> list[dict[str, Any]]:
        """Site records in the sites.yaml schema, with the ports actually bound."""
        if not self._ports:
            raise Conflict("the demo site group has not been started, so it has no ports yet")
        records = []
        for sid, content in self.contents.items():
            spec, base = content.spec, self.base(sid)
            records.append(
                {
                    "id": spec.id,
                    "name": spec.name,
                    "level": spec.level,
                    "region": spec.region,
                    "department": spec.department,
                    "start_urls": [f"{base}/"],
                    "allowed_hosts": [base.split("//", 1)[1]],
                    "exclude": list(EXCLUDE),
                    "schedule": spec.schedule,
                    "feeds": [f"{base}/rss.xml"],
                    "max_pages": MAX_PAGES,
                }
            )
        return records

    def write_sites_yaml(self, path: Path) -> None:
        header = f"# The yiwang demo site group; ports are kept in {self.state_dir / 'ports.json'}.\n"
        text = yaml.safe_dump({"sites": self.sites()}, allow_unicode=True, sort_keys=False)
        Path(path).write_text(header + text, "utf-8")


async def run_forever(state_dir: Path) -> None:
    """Serve the demo site group until cancelled; also writes state_dir/sites.yaml."""
    group = DemoSiteGroup(state_dir)
    await group.start()
    try:
        group.write_sites_yaml(Path(state_dir) / "sites.yaml")
        for site in group.sites():
            print(f"{site['name']}  {site['start_urls'][0]}", flush=True)
        await asyncio.Event().wait()
    finally:
        await group.stop()
