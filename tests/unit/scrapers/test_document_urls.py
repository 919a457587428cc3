"""A directory and its index page are one document: the crawler keeps the directory form."""

from __future__ import annotations

import pytest

from scrapers.urls import canonicalize, document_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.gov.cn/zcjd/index.html", "http://a.gov.cn/zcjd/"),
        ("http://a.gov.cn/zcjd/", "http://a.gov.cn/zcjd/"),
        ("HTTP://A.gov.cn:80/index.htm", "http://a.gov.cn/"),
        ("http://a.gov.cn/x/Index.SHTML#top", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/index.jsp", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/index.php", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/default.html", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/default.htm", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/default.aspx", "http://a.gov.cn/x/"),
        ("http://a.gov.cn/x/./y/../index.html", "http://a.gov.cn/x/"),
        # not index pages of a directory: paging, queries, other names
        ("http://a.gov.cn/x/index_1.html", "http://a.gov.cn/x/index_1.html"),
        ("http://a.gov.cn/x/index.jsp?page=2", "http://a.gov.cn/x/index.jsp?page=2"),
        ("http://a.gov.cn/x/myindex.html", "http://a.gov.cn/x/myindex.html"),
        ("http://a.gov.cn/x/index.html/", "http://a.gov.cn/x/index.html/"),
    ],
)
def test_index_pages_are_their_directory(url: str, expected: str) -> None:
    assert document_url(url) == expected


def test_relative_links_and_bad_urls() -> None:
    assert document_url("index.html", "http://a.gov.cn/zcjd/index_2.html") == "http://a.gov.cn/zcjd/"
    assert document_url("javascript:void(0)") is None
    # canonicalize() itself keeps the two apart: a redirect /zcjd/ -> /zcjd/index.html is not a loop
    assert canonicalize("http://a.gov.cn/zcjd/index.html") != canonicalize("http://a.gov.cn/zcjd/")
