"""extract() on hand-written pages: metadata layouts, attachments, links, kinds, and bad input."""

from __future__ import annotations

import time
from datetime import date

import pytest

from scrapers.extract import extract

SITE = "https://www.example.gov.cn"


def _page(body: str, head: str = "") -> str:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


NAV = (
    "<div class='nav'><a href='/'>首页</a><a href='/zwgk/'>政务公开</a><a href='/hdjl/'>互动交流</a></div>"
    "<div class='breadcrumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zwgk/'>政务公开</a> &gt; "
    "<a href='/zwgk/tzgg/'>通知公告</a></div>"
)
FOOTER = "<div class='footer'>版权所有：示例市人民政府 网站标识码：1234000001 ICP备12345678号</div>"
SHARE = "<div class='share'>分享到：微信 微博</div>"


def test_label_and_value_in_one_cell_and_li_span_forms() -> None:
    html = _page(
        NAV
        + "<ul class='xxgk'><li><span>索引号：</span>11440100/2024-00001</li>"
        + "<li><span>发文机关：</span>示例市人民政府办公室</li>"
        + "<li><span>发文字号：</span>示政办〔2024〕3号</li><li><span>成文日期：</span>2024年1月5日</li>"
        + "<li><span>发布日期：</span>2024-01-08</li><li><span>主题分类：</span>综合政务</li>"
        + "<li><span>有效性：</span>现行有效</li></ul>"
        + "<h1>示例市人民政府办公室关于加强政务公开工作的通知</h1>"
        + "<div id='zoom'><p>各区人民政府，市政府各部门：</p>"
        + "<p>为进一步加强政务公开工作，现就有关事项通知如下。</p></div>"
        + SHARE
        + FOOTER
    )
    page = extract(html, f"{SITE}/zwgk/tzgg/content/post_1.html")
    assert page.kind == "policy"
    assert page.title == "示例市人民政府办公室关于加强政务公开工作的通知"
    assert page.meta.index_no == "11440100/2024-00001"
    assert page.meta.issuer == "示例市人民政府办公室"
    assert page.meta.doc_no == "示政办〔2024〕3号" and page.meta.doc_no_normalized == "示政办〔2024〕3号"
    assert page.meta.written_date == date(2024, 1, 5)
    assert page.published_at == page.meta.published_date == date(2024, 1, 8)
    assert page.meta.theme == "综合政务"
    assert page.meta.validity == "有效"
    assert page.breadcrumb == ("首页", "政务公开", "通知公告")
    assert page.column == "通知公告"
    assert "为进一步加强政务公开工作" in page.text
    for chrome in ("当前位置", "版权所有", "分享到", "互动交流"):
        assert chrome not in page.text


def test_definition_list_and_two_cell_table() -> None:
    html = _page(
        "<dl><dt>索 引 号</dt><dd>000014349/2019-00007</dd><dt>发文字号：</dt><dd>国办发[2019]5号</dd>"
        "<dt>发文机关：</dt><dd>国务院办公厅</dd><dt>成文日期：</dt><dd>二〇一九年一月二十七日</dd>"
        "<dt>标　　题：</dt><dd>国务院办公厅关于某事项的通知</dd><dt>文件状态：</dt><dd>已废止</dd></dl>"
        "<div class='TRS_Editor'><p>正文第一段，内容足够长以便识别为正文。</p></div>"
    )
    page = extract(html, f"{SITE}/zhengce/content_1.htm")
    assert page.meta.index_no == "000014349/2019-00007"
    assert page.meta.doc_no == "国办发[2019]5号"
    assert page.meta.doc_no_normalized == "国办发〔2019〕5号"
    assert page.meta.written_date == date(2019, 1, 27)
    assert page.meta.validity == "废止"
    assert page.title == "国务院办公厅关于某事项的通知"
    assert page.kind == "policy"


def test_cms_meta_tags_win_and_read_like_a_dict() -> None:
    head = (
        "<title>示例新闻 - 示例市人民政府门户网站</title>"
        "<meta name='ArticleTitle' content='示例市召开常务会议'><meta name='PubDate' content='2024-03-02 10:00'>"
        "<meta name='ContentSource' content='示例日报'><meta name='ColumnName' content='政务要闻'>"
        "<meta name='SiteName' content='示例市人民政府门户网站'><meta name='SiteIDCode' content='1234000001'>"
    )
    body = (
        NAV + "<h1>示例市召开常务会议</h1><div class='article-content'><p>3月1日，示例市召开市政府常务会议。</p></div>"
    )
    page = extract(_page(body, head), f"{SITE}/xw/content/post_2.html")
    assert page.title == "示例市召开常务会议"
    assert page.published_at == date(2024, 3, 2)
    assert page.column == "政务要闻"
    assert page.kind == "news"
    assert dict(page.meta.items()) == {
        "article_title": "示例市召开常务会议",
        "pub_date": "2024-03-02 10:00",
        "content_source": "示例日报",
        "column_name": "政务要闻",
        "site_name": "示例市人民政府门户网站",
        "site_id_code": "1234000001",
    }
    assert page.meta["site_id_code"] == "1234000001" and "doc_no" not in page.meta
    with pytest.raises(KeyError):
        page.meta["nope"]


def test_attachments_and_links_are_absolute_with_size() -> None:
    body = (
        "<h1>关于公布2024年补贴名单的公示</h1><div id='zoom'><p>现将名单予以公示，公示期5个工作日。</p>"
        "<p>附件：<a href='P020240301.pdf'>1.补贴名单(123KB)</a></p>"
        "<p><a href='/files/表格.xlsx'>2.申请表</a>（1.5MB）</p>"
        "<p><a href='javascript:void(0)'>打印</a><a href='mailto:a@b.cn'>信箱</a><a href='tel:12345'>电话</a>"
        "<a href='#top'>顶部</a><a href='../other.html'>相关文章</a></p></div>"
    )
    page = extract(_page(body), f"{SITE}/zwgk/gsgg/2024/post_3.html")
    assert [(a.name, a.url, a.type, a.size) for a in page.attachments] == [
        ("1.补贴名单", f"{SITE}/zwgk/gsgg/2024/P020240301.pdf", "pdf", "123KB"),
        ("2.申请表", f"{SITE}/files/%E8%A1%A8%E6%A0%BC.xlsx".replace("%E8%A1%A8%E6%A0%BC", "表格"), "xlsx", "1.5MB"),
    ]
    urls = [link.url for link in page.links]
    assert f"{SITE}/zwgk/gsgg/other.html" in urls
    assert not any(u.startswith(("javascript:", "mailto:", "tel:")) or u.endswith("#top") for u in urls)
    assert all(u.startswith("https://") for u in urls)
    assert page.kind == "notice"


@pytest.mark.parametrize(
    ("title", "body", "kind"),
    [
        (
            "《关于加强政务公开的通知》政策解读",
            "<p>近日，市政府办公室印发了通知，现解读如下。" + "内容" * 30 + "</p>",
            "interpretation",
        ),
        (
            "居住证办理办事指南",
            "<p>办理条件：在本市居住半年以上。</p><p>申请材料：身份证。</p><p>办理流程：窗口受理。</p>",
            "service",
        ),
        ("网民留言答复选登", "<p>问：如何办理社保卡？</p><p>答：可到银行网点办理。</p>" * 3, "qa"),
    ],
)
def test_kinds_from_title_and_content(title: str, body: str, kind: str) -> None:
    page = extract(
        _page(f"<h1>{title}</h1><div id='zoom'>{body}</div>", f"<title>{title}</title>"), f"{SITE}/a/post_9.html"
    )
    assert page.kind == kind


def test_list_page_and_homepage() -> None:
    items = "".join(
        f"<li><a href='/zwgk/tzgg/content/post_{i}.html'>通知{i}</a><span>2024-01-{i:02d}</span></li>"
        for i in range(1, 16)
    )
    listing = _page(
        NAV + f"<ul class='list'>{items}</ul><div class='page'>共5页 上一页 下一页 尾页</div>",
        "<title>通知公告</title>",
    )
    page = extract(listing, f"{SITE}/zwgk/tzgg/index.html")
    assert page.kind == "column"
    assert page.published_at is None
    assert len(page.links) >= 15
    assert extract(listing, f"{SITE}/").kind == "homepage"


def test_an_explaining_columns_list_page_is_a_column() -> None:
    """Titled with the column's name and the site's, the 政策解读 list page was an interpretation by its title's 解读
    (and then of every policy it listed): only a title of the column's name alone made it a column."""
    items = "".join(
        f"<li><a href='/zcjd/202608/t202608{i:02d}_{i}.html'>关于《示范市第{i}号办法》的解读</a>"
        f"<span>2026-08-{i:02d}</span></li>"
        for i in range(1, 13)
    )
    crumbs = "<div class='breadcrumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zcjd/'>政策解读</a></div>"
    listing = _page(crumbs + f"<ul class='list'>{items}</ul>", "<title>政策解读-示范市人力资源和社会保障局</title>")
    assert extract(listing, f"{SITE}/zcjd/").kind == "column"
    article = _page(
        crumbs + "<h1>政策解读：《示范市第1号办法》</h1><div id='zoom'><p>" + "现解读如下。" * 20 + "</p></div>",
        "<title>政策解读：《示范市第1号办法》</title>",
    )
    assert extract(article, f"{SITE}/zcjd/202608/t20260801_1.html").kind == "interpretation"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html",
        "<div><p>未闭合<table><tr><td>发文字号：",
        "<<<>>>&&&;;",
        "\x00\x01<p>控制字符</p>",
        "<html><body>" + "<div>" * 5000 + "深层嵌套" + "</div>" * 10 + "</body></html>",
        "<p>" + "发布日期：" * 1000 + "</p>",
    ],
)
def test_malformed_input_never_raises(html: str) -> None:
    page = extract(html, f"{SITE}/x.html")
    assert page.kind in ("other", "article")
    assert page.url == f"{SITE}/x.html"


def test_huge_page_is_handled_in_bounded_time() -> None:
    paragraph = "<p>" + "政务公开工作要点。" * 20 + "<a href='/a.html'>链接</a></p>"
    html = _page("<h1>很大的页面</h1><div id='zoom'>" + paragraph * 30000 + "</div>")
    assert len(html) > 6_000_000
    started = time.monotonic()
    page = extract(html, f"{SITE}/big.html")
    assert time.monotonic() - started < 30
    assert page.title == "很大的页面" and page.text
