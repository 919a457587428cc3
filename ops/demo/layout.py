"""The page frame every demo page shares: head with CMS meta tags, header, navigation, sidebar, footer."""

from __future__ import annotations

from html import escape

from ops.demo.model import Article, SiteContent

STYLE = (
    "body{margin:0;font:14px/1.8 'Microsoft YaHei',SimSun,sans-serif;color:#333}"
    ".header{background:#b5121b;color:#fff;padding:18px 40px}.nav li{display:inline-block;margin:0 14px}"
    ".main{width:1200px;margin:0 auto;overflow:hidden}.left{float:left;width:860px}.right{float:right;width:300px}"
    "table.bd1{width:100%;border-collapse:collapse}table.bd1 td{border:1px solid #ddd;padding:4px 8px}"
    ".footer{clear:both;background:#f2f2f2;text-align:center;padding:20px;font-size:12px}"
)
# Where each site keeps its article text, as the CMS products behind real sites do.
CONTENT_OPEN = {
    "demo-portal": '<div class="view TRS_UEDITOR trs_paper_default"><div class="TRS_Editor">',
    "demo-dept": '<div id="zoom" class="zoom">',
    "demo-county": '<div class="article-content" id="UCAP-CONTENT">',
}
CONTENT_CLOSE = {"demo-portal": "</div></div>", "demo-dept": "</div>", "demo-county": "</div>"}


def attr(value: str) -> str:
    return escape(value, quote=True)


def meta_tags(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f'<meta name="{name}" content="{attr(value)}">' for name, value in pairs)


class Frame:
    """Wraps page bodies in one site's chrome; `bases` maps site ids to their http://host:port."""

    def __init__(self, content: SiteContent, bases: dict[str, str], names: dict[str, str]) -> None:
        self.content = content
        self.spec = content.spec
        self.bases = bases
        self.names = names
        self.base = bases[self.spec.id]

    def page(
        self,
        *,
        title: str,
        column: str,
        column_type: str,
        crumbs: list[tuple[str, str]],
        body: str,
        article: Article | None = None,
        path: str = "/",
    ) -> str:
        spec = self.spec
        meta = [
            ("SiteName", spec.name),
            ("SiteDomain", self.base.split("//", 1)[1]),
            ("SiteIDCode", spec.site_code),
            ("ColumnName", column),
            ("ColumnType", column_type),
        ]
        if article is not None:
            text = "".join(article.paragraphs)
            meta += [
                ("ArticleTitle", article.title),
                ("PubDate", f"{article.published:%Y-%m-%d %H:%M}"),
                ("ContentSource", article.source),
                ("Keywords", f"{column} {article.title}"),
                ("Description", text[:80]),
                ("Url", self.base + path),
            ]
        head_title = f"{title}_{spec.name}" if title != spec.name else title
        return (
            f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{spec.charset}">\n'
            '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
            f"<title>{escape(head_title)}</title>\n{meta_tags(meta)}\n"
            f'<link rel="alternate" type="application/rss+xml" title="{attr(spec.name)}" href="/rss.xml">\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{self.header()}\n"
            f'<div class="main">\n{self.position(crumbs)}\n<div class="left">\n{body}\n</div>\n'
            f"{self.sidebar()}\n</div>\n{self.footer()}\n</body>\n</html>\n"
        )

    def header(self) -> str:
        spec = self.spec
        nav = "".join(f'<li><a href="/{c.slug}/">{c.name}</a></li>' for c in spec.columns)
        return (
            '<div class="topbar"><span>欢迎访问' + escape(spec.name) + "</span>"
            '<a href="javascript:void(0)" onclick="aria.start()">无障碍浏览</a>'
            '<a href="javascript:void(0)" onclick="switchOld()">长者模式</a></div>\n'
            f'<div class="header"><div class="logo"><a href="/">{escape(spec.name)}</a></div>'
            '<form class="search" action="/search/" method="get">'
            '<input type="text" name="q" placeholder="请输入关键词">'
            '<button type="submit">搜索</button></form></div>\n'
            f'<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div>'
        )

    def position(self, crumbs: list[tuple[str, str]]) -> str:
        if not crumbs:
            return ""
        parts = ['<a href="/">首页</a>'] + [
            f'<a href="{attr(h)}">{escape(t)}</a>' if h else escape(t) for t, h in crumbs
        ]
        return '<div class="position">当前位置：' + " &gt; ".join(parts) + "</div>"

    def sidebar(self) -> str:
        first = self.spec.columns[0]
        latest = self.content.columns[first.slug][:6]
        items = "".join(f'<li><a href="{a.path}" title="{attr(a.title)}">{escape(a.title)}</a></li>' for a in latest)
        services = self.content.columns.get("bsfw", [])[:4]
        links = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in services)
        return (
            f'<div class="right"><div class="box"><h3>热点信息</h3><ul>{items}</ul></div>'
            f'<div class="box"><h3>便民服务</h3><ul>{links}</ul></div>'
            '<div class="box"><h3>扫一扫</h3><p>关注政务微信公众号，获取最新政务信息</p></div></div>'
        )

    def footer(self) -> str:
        spec = self.spec
        group = "".join(
            f' <a href="{self.bases[sid]}/">{escape(name)}</a>' for sid, name in self.names.items() if sid != spec.id
        )
        return (
            '<div class="footer">\n<p class="links"><a href="/rss.xml">RSS订阅</a> | <a href="javascript:void(0)">'
            f'联系我们</a> | <a href="/admin/login.html">网站管理</a></p>\n<p class="group">政府网站群：{group}'
            ' <a href="https://www.gov.cn/">中国政府网</a></p>\n'
            f"<p>主办单位：{escape(spec.sponsor)}　承办单位：{escape(spec.sponsor)}信息中心　"
            f"联系电话：0999-12345</p>\n<p>网站标识码：{spec.site_code}　"
            f'<a href="https://beian.miit.gov.cn/" target="_blank">{spec.icp}</a>　'
            f"示公网安备 {spec.region}02000{spec.id_base % 1000:03d}号</p>\n"
            "<p>建议使用1366×768分辨率浏览本网站</p>\n</div>"
        )
