"""Renders a demo site's homepage, TRS-style paged column lists and article pages to encoded pages."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape

from ops.demo.layout import CONTENT_CLOSE, CONTENT_OPEN, Frame, attr
from ops.demo.model import Article, ColumnSpec, Page, SiteContent, list_path

BEIJING = timedelta(hours=8)


def to_utc(local: datetime) -> datetime:
    """Demo datetimes are naive Beijing time; HTTP dates are UTC."""
    return (local - BEIJING).replace(tzinfo=UTC)


def make_page(text: str, charset: str, last_modified: datetime, kind: str = "text/html") -> Page:
    body = text.encode(charset)
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    return Page(body=body, content_type=f"{kind}; charset={charset.upper()}", etag=etag, last_modified=last_modified)


def update_text(n: int, at: datetime) -> str:
    return (
        f"【更新】{at:%Y年%m月%d日 %H:%M}　第{n}次更新：根据最新工作安排，对本文有关内容作进一步补充说明，"
        "请以本次更新内容为准。"
    )


class SiteRenderer:
    """Turns one site's generated content into its pages."""

    def __init__(self, content: SiteContent, bases: dict[str, str], names: dict[str, str]) -> None:
        self.content = content
        self.spec = content.spec
        self.frame = Frame(content, bases, names)
        self.epoch = min((a.published for a in content.articles()), default=datetime(2020, 1, 1))

    def pages(self, updates: dict[str, list[datetime]]) -> dict[str, Page]:
        """Every HTML page keyed by canonical path ("/" and "/slug/index.html" style)."""
        out = {"/": self.homepage()}
        for col in self.spec.columns:
            for n in range(self.content.list_pages(col.slug)):
                out[list_path(col.slug, n)] = self.list_page(col, n)
        for a in self.content.articles():
            out[a.path] = self.article(a, updates.get(a.path, []))
        return out

    def _page(self, text: str, items: Sequence[Article]) -> Page:
        latest = max((a.published for a in items), default=self.epoch)
        return make_page(text, self.spec.charset, to_utc(latest))

    def homepage(self) -> Page:
        blocks = []
        for col in self.spec.columns:
            items = (
                "".join(
                    f'<li><a href="{a.path}" title="{attr(a.title)}">{escape(a.title)}</a>'
                    f'<span class="date">{a.published:%m-%d}</span></li>'
                    for a in self.content.columns[col.slug][:7]
                )
                or '<li class="empty">暂无信息</li>'
            )
            blocks.append(
                f'<div class="block" id="{col.slug}"><h2><a href="/{col.slug}/">{col.name}</a>'
                f'<a class="more" href="/{col.slug}/">更多&gt;&gt;</a></h2><ul>{items}</ul></div>'
            )
        topics = "".join(f'<li><a href="{path}">{escape(title)}</a></li>' for title, path in self.spec.retired)
        body = (
            '<div class="banner"><a href="javascript:void(0)">学习贯彻党的二十大精神</a></div>\n'
            + "\n".join(blocks)
            + f'\n<div class="block" id="ztzl"><h2>专题专栏</h2><ul>{topics}</ul></div>'
        )
        text = self.frame.page(title=self.spec.name, column="首页", column_type="首页", crumbs=[], body=body)
        return self._page(text, self.content.articles())

    def list_page(self, col: ColumnSpec, n: int) -> Page:
        size = self.spec.page_size
        items = self.content.columns[col.slug][n * size : (n + 1) * size]
        rows = (
            "\n".join(
                f'<li><a href="./{a.path.split("/", 2)[2]}" target="_blank" title="{attr(a.title)}">'
                f"{escape(a.title)}</a>"
                f'<span class="date">{a.published:%Y-%m-%d}</span></li>'
                for a in items
            )
            or '<li class="empty">暂无信息</li>'
        )
        body = f'<div class="list"><h2>{col.name}</h2><ul class="list-ul">\n{rows}\n</ul>\n{self.pager(col, n)}</div>'
        text = self.frame.page(
            title=col.name,
            column=col.name,
            column_type=col.column_type,
            crumbs=[(col.name, f"/{col.slug}/")],
            body=body,
        )
        return self._page(text, items)

    def pager(self, col: ColumnSpec, n: int) -> str:
        total = self.content.list_pages(col.slug)
        count = len(self.content.columns[col.slug])

        def name(k: int) -> str:
            return list_path(col.slug, k).rsplit("/", 1)[1]

        prev = f'<a href="{name(n - 1)}">上一页</a>' if n > 0 else "<span>上一页</span>"
        nxt = f'<a href="{name(n + 1)}">下一页</a>' if n + 1 < total else "<span>下一页</span>"
        return (
            f'<div class="page"><script>var countPage = {total};var currentPage = {n};'
            'createPageHTML(countPage, currentPage, "index", "html");</script>'
            f'<a href="index.html">首页</a> {prev} <span class="current">{n + 1}</span>/{total} {nxt} '
            f'<a href="{name(total - 1)}">尾页</a> <span>共{count}条</span></div>'
        )

    def article(self, a: Article, updates: list[datetime]) -> Page:
        parts = [
            f'<div class="article"><h1 class="title">{escape(a.title)}</h1>',
            f'<div class="info"><span>发布时间：{a.published:%Y-%m-%d %H:%M}</span>'
            f"<span>来源：{escape(a.source)}</span>"
            '<span>【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
            '<a href="javascript:doZoom(14)">小</a>】</span></div>',
        ]
        if a.policy:
            parts.append(self.policy_table(a))
        parts.append(CONTENT_OPEN[self.spec.id])
        parts.append(self.main_text(a))
        parts += [f'<p class="update">{escape(update_text(i + 1, at))}</p>' for i, at in enumerate(updates)]
        parts.append(CONTENT_CLOSE[self.spec.id])
        if a.attachments:
            links = "".join(
                f'<li><a href="./{f.path.rsplit("/", 1)[1]}">{escape(f.title)}.{f.ext}</a></li>' for f in a.attachments
            )
            parts.append(f'<div class="fj"><p>附件：</p><ul>{links}</ul></div>')
        if a.related:
            label = "相关文件" if a.kind == "interpretation" else "相关链接"
            links = "".join(f'<li><a href="{attr(h)}">{escape(t)}</a></li>' for t, h in a.related)
            parts.append(f'<div class="xgwj"><p>{label}：</p><ul>{links}</ul></div>')
        parts.append(
            '<div class="share">【<a href="javascript:window.print()">打印本页</a>】'
            '【<a href="javascript:window.close()">关闭窗口</a>】</div></div>'
        )
        col = a.column
        text = self.frame.page(
            title=a.title,
            column=col.name,
            column_type=col.column_type,
            body="\n".join(parts),
            article=a,
            crumbs=[(col.name, f"/{col.slug}/"), ("正文", "")],
            path=a.path,
        )
        modified = max([a.published, *updates])
        return make_page(text, self.spec.charset, to_utc(modified))

    def policy_table(self, a: Article) -> str:
        p = a.policy
        assert p is not None

        def row(l1: str, v1: str, l2: str | None = None, v2: str = "") -> str:
            if l2 is None:
                return f'<tr><td class="b1">{l1}：</td><td class="b2" colspan="3">{escape(v1)}</td></tr>'
            return (
                f'<tr><td class="b1">{l1}：</td><td class="b2">{escape(v1)}</td>'
                f'<td class="b1">{l2}：</td><td class="b2">{escape(v2)}</td></tr>'
            )

        return (
            '<table class="bd1" cellspacing="1" cellpadding="0">'
            + row("索引号", p.index_no, "主题分类", p.theme)
            + row("发文机关", p.issuer, "成文日期", f"{p.written:%Y年%m月%d日}")
            + row("标题", a.title)
            + row("发文字号", p.doc_no, "发布日期", f"{a.published:%Y年%m月%d日}")
            + "</table>"
        )

    def main_text(self, a: Article) -> str:
        paras = "\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
        if a.guide:
            g = a.guide

            def ol(items: Sequence[str]) -> str:
                return "<ol>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ol>"

            rows = [
                ("事项名称", escape(g.item)),
                ("实施主体", escape(g.agency)),
                ("受理条件", ol(g.conditions)),
                ("申请材料", ol(g.materials)),
                ("办理地点", escape(g.place)),
                ("办理时间", escape(g.hours)),
                ("办理时限", escape(g.time_limit)),
                ("收费标准", escape(g.fee)),
                ("咨询电话", escape(g.phone)),
                ("是否网办", "是" if g.online else "否"),
            ]
            table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
            return f'<table class="bszn">{table}</table>\n{paras}'
        if a.letter:
            lt = a.letter
            rows = [
                ("留言标题", escape(a.title)),
                ("留言人", escape(lt.asker)),
                ("留言时间", f"{lt.asked_at:%Y-%m-%d %H:%M}"),
                ("留言内容", paras),
            ]
            if lt.replied_at and lt.reply_unit:
                reply = "".join(f"<p>{escape(p)}</p>" for p in lt.reply)
                rows += [
                    ("回复单位", escape(lt.reply_unit)),
                    ("回复时间", f"{lt.replied_at:%Y-%m-%d %H:%M}"),
                    ("回复内容", reply),
                    ("办理状态", "已办结"),
                ]
            else:
                rows.append(("办理状态", "办理中"))
            table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
            return f'<table class="xjxq">{table}</table>'
        return paras
