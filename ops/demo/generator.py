"""Deterministic generator of the demo site group's content, seeded per site and anchored at `now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial
from random import Random

from ops.demo.catalog import SITES
from ops.demo.model import Article, Attachment, SiteContent, SiteSpec
from ops.demo.vocab import TOPICS
from ops.demo.writer import Writer, named_title

MISSPELT = "社会主意核心价值观"
PENDING_LETTERS = (0, 1, 6)  # newest-first positions left unanswered: two fresh, one overdue


def build_group(now: datetime) -> list[SiteContent]:
    """All demo sites for the given `now`; the same `now` always gives the same bytes."""
    return [build_site(spec, now) for spec in SITES]


def build_site(spec: SiteSpec, now: datetime) -> SiteContent:
    rng = Random(f"yiwang-demo:{spec.id}")
    writer = Writer(rng, spec)
    slots = []
    for col in spec.columns:
        for _ in range(col.count):
            lo, hi = (370, 900) if col.stale else (1, 730)
            day = now.date() - timedelta(days=rng.randint(lo, hi))
            slots.append((datetime.combine(day, time(rng.randint(8, 17), rng.randrange(0, 60, 5))), col.slug))
    slots.sort()
    columns = {c.slug: c for c in spec.columns}
    ident = spec.id_base
    articles: list[Article] = []
    for when, slug in slots:
        ident += rng.randint(1, 7)
        articles.append(writer.article(columns[slug], ident, when, writer.topic()))
    _write_all(writer, articles, now)
    _publish_fixed_guides(spec, articles)
    by_column = {c.slug: sorted((a for a in articles if a.column.slug == c.slug), key=_newest) for c in spec.columns}
    content = SiteContent(spec=spec, columns=by_column, broken_links=[path for _, path in spec.retired])
    _attach(rng, content)
    _plant_faults(content)
    return content


def _newest(a: Article) -> tuple[float, int]:
    return (-a.published.timestamp(), -a.ident)


def _unique(used: set[str], write: Callable[[], None], article: Article) -> None:
    for attempt in range(60):
        write()
        if article.title not in used:
            break
        if attempt == 59:
            article.title += f"（{article.published:%Y年%m月}）"
    used.add(article.title)


def _write_all(writer: Writer, articles: list[Article], now: datetime) -> None:
    used: set[str] = set()
    year_docs: dict[tuple[str, int], int] = {}
    policies = [a for a in articles if a.kind == "policy"]
    for a in policies:
        _unique(used, partial(writer.policy, a, TOPICS[a.topic], year_docs), a)
    letters = sorted((a for a in articles if a.kind == "letter"), key=_newest)
    pending = {id(letters[i]) for i in PENDING_LETTERS if i < len(letters)}
    for a in articles:
        topic = TOPICS[a.topic]
        if a.kind == "interpretation":
            _interpret(writer, a, policies, used)
        elif a.kind == "letter":
            _unique(used, partial(writer.letter, a, topic, id(a) not in pending, now), a)
        elif a.kind != "policy":
            plain = {"news": writer.news, "notice": writer.notice, "personnel": writer.personnel, "guide": writer.guide}
            _unique(used, partial(plain[a.kind], a, topic), a)


def _publish_fixed_guides(spec: SiteSpec, articles: list[Article]) -> None:
    """Rewrite spare guides as the site's fixed guides (`SiteSpec.guides`) that the seeded draw did not make.

    Which guides the draw makes depends on `now` (the number of draws before a guide does), so without this the
    demo hall's services had no guide on most days. The rewrite draws from a random of its own, leaving the rest
    of the site as it was; on a day the draw makes every fixed guide, nothing changes.
    """
    guides = [a for a in articles if a.guide]
    fixed = {item for _, item in spec.guides}
    made = {a.guide.item for a in guides if a.guide}
    missing = [(topic, item) for topic, item in spec.guides if item not in made]
    if not missing:
        return
    spare = [a for a in reversed(guides) if a.guide and a.guide.item not in fixed]  # the newest first
    writer = Writer(Random(f"yiwang-demo-guides:{spec.id}"), spec)
    for (topic, item), article in zip(missing, spare, strict=False):
        article.topic = topic
        writer.guide(article, TOPICS[topic], item=item)


def _interpret(writer: Writer, a: Article, policies: list[Article], used: set[str]) -> None:
    older = [p for p in policies if p.published <= a.published] or policies[:1]
    numbered = [p for p in older if p.policy and p.policy.doc_no]
    policy = writer.rng.choice(numbered if numbered and writer.rng.random() < 0.8 else older)
    a.topic = policy.topic
    linked = writer.rng.random() < 0.5
    _unique(used, partial(writer.interpretation, a, TOPICS[a.topic], policy, linked), a)
    if linked:
        a.related.append((f"《{named_title(policy.title)}》", policy.path))


def _file(a: Article, n: int, ext: str) -> str:
    p = a.published
    return f"/{a.column.slug}/{p:%Y%m}/W0{p:%Y%m%d}{a.ident}{n:02d}.{ext}"


def _attach(rng: Random, content: SiteContent) -> None:
    for a in content.articles():
        roll = rng.random()
        if a.kind == "policy" and roll < 0.4:
            a.attachments.append(Attachment(f"{named_title(a.title)}（全文）", _file(a, 1, "pdf")))
            if roll < 0.2:
                a.attachments.append(Attachment("附件1：申请表", _file(a, 2, "docx")))
        elif a.kind == "notice" and roll < 0.35:
            listing = "公示" in a.title
            name, ext = ("附件：名单", "xlsx") if listing else ("附件：报名表", "docx")
            a.attachments.append(Attachment(name, _file(a, 1, ext)))
        elif a.kind == "guide" and roll < 0.5 and a.guide:
            a.attachments.append(Attachment(f"{a.guide.item}申请表", _file(a, 1, "docx")))


def _plant_faults(content: SiteContent) -> None:
    """Broken links and a misspelt political term, for the link checker and the monitor to find."""
    spec, cols = content.spec, content.columns
    if spec.id == "demo-portal":
        old = cols["zcwj"][3]
        old.related.append(("《示范市就业补贴暂行办法》（已废止）", "/zcwj/201801/t20180115_4001.html"))
        notice = next(a for a in cols["tzgg"][4:] if a.attachments)
        missing = Attachment("附件：填报说明", _file(notice, 9, "pdf"), missing=True)
        notice.attachments.append(missing)
        content.broken_links += [old.related[-1][1], missing.path]
        news = cols["ywdt"][4]
        news.paragraphs.insert(1, f"会议要求，要大力弘扬{MISSPELT}，把为民服务的要求落实到每一项具体工作中。")
        content.misspelt_path = news.path
    elif spec.id == "demo-county":
        news = cols["ywdt"][2]
        news.related.append(("青山县2019年政府工作报告", "/zwgk/gzbg/201902/t20190220_1001.html"))
        content.broken_links.append(news.related[-1][1])
