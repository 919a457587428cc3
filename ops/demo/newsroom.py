"""Articles the demo sites publish and withdraw at run time (the soak's change feed), kept across restarts."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any

from core.errors import Invalid, NotFound
from ops.demo.model import Article, SiteContent
from ops.demo.vocab import TOPICS
from ops.demo.writer import Writer

STATE = "newsroom.json"
KINDS = ("news", "notice")  # what a site publishes from one day to the next: news and notices


def publishable(content: SiteContent) -> list[str]:
    """Slugs of the columns that take new articles."""
    return [c.slug for c in content.spec.columns if c.kind in KINDS]


def write_article(content: SiteContent, slug: str, ident: int, when: datetime) -> Article:
    """The article `ident` of column `slug`, the same for the same arguments; its title unlike any on the site."""
    spec = content.spec
    column = next((c for c in spec.columns if c.slug == slug), None)
    if column is None or column.kind not in KINDS:
        raise Invalid(f"{spec.id} publishes no articles in column {slug!r} (one of {', '.join(publishable(content))})")
    writer = Writer(Random(f"yiwang-demo-newsroom:{spec.id}:{ident}"), spec)
    article = writer.article(column, ident, when, writer.topic())
    write = writer.news if column.kind == "news" else writer.notice
    used = {a.title for a in content.articles()}
    for _ in range(30):
        write(article, TOPICS[article.topic])
        if article.title not in used:
            return article
    article.title += f"（{when:%m月%d日}第{ident % 1000}号）"
    return article


class Newsroom:
    """What was published and withdrawn on each site, replayed onto freshly generated content at every start."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / STATE
        state: dict[str, Any] = json.loads(self.path.read_text("utf-8")) if self.path.exists() else {}
        self.published: dict[str, list[dict[str, Any]]] = state.get("published", {})
        self.withdrawn: dict[str, list[str]] = state.get("withdrawn", {})

    def replay(self, contents: dict[str, SiteContent]) -> None:
        for site_id, records in self.published.items():
            if site_id in contents:
                for r in records:
                    self._add(contents[site_id], r["column"], r["ident"], datetime.fromisoformat(r["at"]))
        for site_id, paths in self.withdrawn.items():
            if site_id in contents:
                for path in paths:
                    _remove(contents[site_id], path)

    def publish(self, content: SiteContent, column: str | None, when: datetime) -> Article:
        """A new article at the top of `column` (by default one of the news and notice columns in turn)."""
        site_id = content.spec.id
        records = self.published.setdefault(site_id, [])
        slugs = publishable(content)
        slug = column or slugs[len(records) % len(slugs)]
        # above every ident the site ever had (a withdrawn article's URL is never reused)
        ident = max([content.spec.id_base, *(a.ident for a in content.articles()), *(r["ident"] for r in records)]) + 1
        article = self._add(content, slug, ident, when)
        records.append({"column": slug, "ident": ident, "at": when.isoformat()})
        self._save()
        return article

    def withdraw(self, content: SiteContent, path: str) -> Article:
        """Take the article at `path` off its site (its page, list entry and attachments)."""
        article = _remove(content, path)
        self.withdrawn.setdefault(content.spec.id, []).append(path)
        self._save()
        return article

    def _add(self, content: SiteContent, slug: str, ident: int, when: datetime) -> Article:
        article = write_article(content, slug, ident, when)
        content.columns[slug].insert(0, article)  # newest first, as the generator sorts them
        return article

    def _save(self) -> None:
        tmp = self.path.with_name(f".{STATE}.tmp")
        tmp.write_text(json.dumps({"published": self.published, "withdrawn": self.withdrawn}, ensure_ascii=False))
        os.replace(tmp, self.path)


def _remove(content: SiteContent, path: str) -> Article:
    for items in content.columns.values():
        for i, article in enumerate(items):
            if article.path == path:
                return items.pop(i)
    raise NotFound(f"no article at {path!r} on {content.spec.id}")
