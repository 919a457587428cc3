"""Accuracy on 47 full Guangzhou government pages: title and date ≥ 95%, main text without site chrome."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scrapers.extract import Extracted, extract

EXPECTED = {
    name: want
    for name, want in json.loads(
        (Path(__file__).parent / "expected_guangzhou_pages.json").read_text(encoding="utf-8")
    ).items()
    if not name.startswith("_")
}
GOAL = 0.95
# What only navigation, headers, footers and share bars print.
CHROME = (
    "当前位置",
    "所在的位置",
    "版权所有",
    "网站标识码",
    "ICP备",
    "分享到",
    "网站地图",
    "主办单位",
    "浏览次数",
    "【打印】",
)


def _squash(s: str | None) -> str | None:
    return re.sub(r"\s+", " ", s).strip() if s is not None else None


def _page_url(html: str, name: str) -> str:
    """The address the page was saved from (its Url meta tag), or a stand-in article address."""
    m = re.search(r'<meta name="Url" content="([^"]+)"', html, re.I)
    return m.group(1) if m else f"https://www.gz.gov.cn/saved/{name}"


@pytest.fixture(scope="module")
def pages(corpus: Path) -> dict[str, Extracted]:
    root = corpus / "guangzhou-gov-pages-aizhengcetong" / "html"
    out = {}
    for name in EXPECTED:
        html = (root / name).read_text(encoding="utf-8")
        out[name] = extract(html, _page_url(html, name))
    return out


def _accuracy(hits: dict[str, bool]) -> float:
    return sum(hits.values()) / len(hits)


@pytest.mark.corpus
def test_title_accuracy(pages: dict[str, Extracted]) -> None:
    hits = {name: _squash(pages[name].title) == _squash(want["title"]) for name, want in EXPECTED.items()}
    misses = {name: pages[name].title for name, ok in hits.items() if not ok}
    assert _accuracy(hits) >= GOAL, misses


@pytest.mark.corpus
def test_publication_date_accuracy(pages: dict[str, Extracted]) -> None:
    def got(page: Extracted) -> str | None:
        return page.published_at.isoformat() if page.published_at else None

    hits = {name: got(pages[name]) == want["published"] for name, want in EXPECTED.items()}
    misses = {name: got(pages[name]) for name, ok in hits.items() if not ok}
    assert _accuracy(hits) >= GOAL, misses


@pytest.mark.corpus
def test_main_text_is_the_body_without_navigation(pages: dict[str, Extracted]) -> None:
    with_body = {name: want["body"] for name, want in EXPECTED.items() if want["body"]}
    found = {name: body in pages[name].text.replace("\n", "") for name, body in with_body.items()}
    clean = {name: not any(mark in pages[name].text for mark in CHROME) for name in with_body}
    assert _accuracy(found) >= GOAL, [name for name, ok in found.items() if not ok]
    assert all(clean.values()), {n: [m for m in CHROME if m in pages[n].text] for n, ok in clean.items() if not ok}


@pytest.mark.corpus
def test_kind_and_policy_metadata(pages: dict[str, Extracted]) -> None:
    kinds = {name: (pages[name].kind, want["kind"]) for name, want in EXPECTED.items() if "kind" in want}
    wrong = {name: pair for name, pair in kinds.items() if pair[0] != pair[1]}
    assert len(wrong) <= len(kinds) * 0.1, wrong
    for name, want in EXPECTED.items():
        page = pages[name]
        if "doc_no" in want:
            assert page.meta.doc_no_normalized == want["doc_no"], name
        if "index_no" in want:
            assert page.meta.index_no == want["index_no"], name
        if "written_date" in want:
            assert page.meta.written_date is not None and page.meta.written_date.isoformat() == want["written_date"]


@pytest.mark.corpus
def test_cms_meta_tags_and_breadcrumb(pages: dict[str, Extracted]) -> None:
    page = pages["06_城乡居民医保集中参保缴费通告.html"]
    assert page.meta.site_name == "广州市人民政府门户网站"
    assert page.meta["column_name"] == "通知公告" == page.column
    assert page.meta.get("content_source") == "广州市医疗保障局"
    assert page.meta.site_id_code == "4401000004"
    assert page.breadcrumb == ("首页", "长者易用专区", "通知公告")
    assert all(link.url.startswith("http") for link in page.links)
