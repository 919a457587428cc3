"""URL canonicalisation, crawl scope and trap detection on URLs a government site group really links."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from scrapers.urls import Scope, TrapDetector, canonicalize, host_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Gov.CN:80/zwgk/index.html#top", "http://www.gov.cn/zwgk/index.html"),
        ("https://www.gov.cn:443", "https://www.gov.cn/"),
        ("http://www.gov.cn:8080/a", "http://www.gov.cn:8080/a"),
        ("http://www.gov.cn/a/./b/../c/", "http://www.gov.cn/a/c/"),
        ("http://www.gov.cn/a/b/..", "http://www.gov.cn/a/"),
        ("http://www.gov.cn/a/", "http://www.gov.cn/a/"),
        ("http://www.gov.cn/a", "http://www.gov.cn/a"),
        ("http://www.gov.cn/list.jsp?b=2&a=1&a=0", "http://www.gov.cn/list.jsp?a=0&a=1&b=2"),
        ("http://www.gov.cn/%7euser/%e6%94%bf", "http://www.gov.cn/~user/%E6%94%BF"),
        (
            "http://www.gov.cn/政务公开/通知",
            "http://www.gov.cn/%E6%94%BF%E5%8A%A1%E5%85%AC%E5%BC%80/%E9%80%9A%E7%9F%A5",
        ),
        ("http://www.gov.cn/a b?q=市政 府", "http://www.gov.cn/a%20b?q=%E5%B8%82%E6%94%BF%20%E5%BA%9C"),
        ("http://www.gov.cn/art;jsessionid=ABC123?id=5", "http://www.gov.cn/art?id=5"),
        ("http://www.gov.cn/art.php?id=5&PHPSESSID=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "http://www.gov.cn/art.php?id=5"),
        ("http://www.gov.cn/art?sid=0123456789abcdef0123&id=5", "http://www.gov.cn/art?id=5"),
        ("http://www.gov.cn/col?sid=12&id=5", "http://www.gov.cn/col?id=5&sid=12"),
        ("http://www.gov.cn/a%2Fb", "http://www.gov.cn/a%2Fb"),
        ("http://政府.cn/", "http://xn--mxtq1m.cn/"),
    ],
)
def test_canonical_form(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_relative_links_resolve_against_the_page() -> None:
    page = "http://www.jinan.gov.cn/col/col123/index.html"
    assert canonicalize("../col456/index.html", page) == "http://www.jinan.gov.cn/col/col456/index.html"
    assert canonicalize("/art/2024/1/2/art_1_2.html", page) == "http://www.jinan.gov.cn/art/2024/1/2/art_1_2.html"
    assert canonicalize("?page=2", page) == "http://www.jinan.gov.cn/col/col123/index.html?page=2"
    assert canonicalize("//WWW.Other.gov.cn/x", page) == "http://www.other.gov.cn/x"
    assert canonicalize("#main", page) == page


@pytest.mark.parametrize(
    "link",
    [
        "javascript:void(0)",
        "JavaScript:openWin('a.html')",
        "mailto:zwgk@jinan.gov.cn",
        "tel:12345",
        "data:text/html,<p>x</p>",
        "ftp://ftp.gov.cn/file.doc",
        "http://[::1:bad/",
    ],
)
def test_links_that_are_not_pages_are_refused(link: str) -> None:
    assert canonicalize(link, "http://www.gov.cn/index.html") is None
    assert canonicalize(link) is None


def test_urls_without_a_host_are_refused() -> None:
    assert canonicalize("") is None
    assert canonicalize("http://") is None
    assert canonicalize("/relative/without/base.html") is None
    assert canonicalize("", "http://www.gov.cn/a.html") == "http://www.gov.cn/a.html", "an empty href is the page"


def test_equivalent_spellings_share_one_canonical_form() -> None:
    spellings = [
        "http://www.gov.cn/zwgk/list.jsp?b=1&a=2",
        "HTTP://www.GOV.cn:80/zwgk/./list.jsp?a=2&b=1#x",
        "http://www.gov.cn/zwgk/sub/../list.jsp;jsessionid=XYZ?a=%32&b=1",
    ]
    assert len({canonicalize(s) for s in spellings}) == 1


def test_scope_refuses_with_a_reason() -> None:
    scope = Scope.for_site(
        "http://www.jinan.gov.cn:8080/",
        extra_hosts=("zwgk.jinan.gov.cn",),
        excluded_prefixes=("/search/",),
        excluded_patterns=(r"\.(?:jpg|png)$", r"[?&]print=1"),
        max_depth=3,
    )
    assert scope.allows("http://www.jinan.gov.cn:8080/col/index.html", 1) is None
    assert scope.allows("http://zwgk.jinan.gov.cn/a.html", 3) is None
    assert scope.allows("http://www.jinan.gov.cn/col/index.html", 1) == "off_host"
    assert scope.allows("http://www.baidu.com/", 0) == "off_host"
    assert scope.allows("http://www.jinan.gov.cn:8080/col/index.html", 4) == "too_deep"
    assert scope.allows("http://www.jinan.gov.cn:8080/search/?q=1", 1) == "excluded_prefix"
    assert scope.allows("http://www.jinan.gov.cn:8080/img/a.JPG", 1) is None
    assert scope.allows("http://www.jinan.gov.cn:8080/img/a.png", 1) == "excluded_pattern"
    assert scope.allows("http://www.jinan.gov.cn:8080/art.html?id=1&print=1", 1) == "excluded_pattern"
    assert scope.allows("mailto:x@jinan.gov.cn", 1) == "unsupported_url"


def test_scope_path_prefixes() -> None:
    scope = Scope(frozenset({"www.gov.cn"}), path_prefixes=("/zwgk/",), excluded_patterns=(re.compile("x"),))
    assert scope.allows("http://www.gov.cn/zwgk/a.html") is None
    assert scope.allows("http://www.gov.cn/news/a.html") == "outside_prefix"
    assert host_of("https://WWW.gov.cn:443/a") == "www.gov.cn"


def test_calendar_pages_are_cut_off() -> None:
    traps = TrapDetector(max_calendar_steps=10)
    day = date(2024, 1, 1)
    verdicts = []
    for i in range(40):
        verdicts.append(traps.check(f"http://www.gov.cn/calendar?date={day + timedelta(days=i)}"))
    assert verdicts[:10] == [None] * 10
    assert set(verdicts[10:]) == {"calendar_trap"}
    # Pages already admitted stay admitted, and other pages of the site are unaffected.
    assert traps.check("http://www.gov.cn/calendar?date=2024-01-05") is None
    assert traps.check("http://www.gov.cn/art/2024/1/2/art_1229_1.html") is None


def test_year_and_month_parameters_and_path_dates_count_as_calendar_steps() -> None:
    traps = TrapDetector(max_calendar_steps=5)
    months = [traps.check(f"http://www.gov.cn/rl.jsp?year=2024&month={m}&view=month") for m in range(1, 13)]
    assert months.count(None) == 5 and "calendar_trap" in months
    paths = [traps.check(f"http://www.gov.cn/events/2024/{m:02d}/index.html") for m in range(1, 13)]
    assert paths.count(None) == 5
    assert traps.check("http://www.gov.cn/rl.jsp?year=1901&month=1&view=month") == "calendar_out_of_range"
    assert traps.check(f"http://www.gov.cn/rl.jsp?year={date.today().year + 30}&month=1") == "calendar_out_of_range"


def test_articles_with_dates_in_their_paths_are_not_calendars() -> None:
    traps = TrapDetector(max_calendar_steps=5)
    urls = [
        f"http://www.gov.cn/zwgk/2024{m:02d}/t2024{m:02d}{d:02d}_{m * 100 + d}.html"
        for m in range(1, 13)
        for d in (1, 15)
    ]
    assert [traps.check(u) for u in urls] == [None] * len(urls)


def test_repeated_path_segments_are_a_trap() -> None:
    traps = TrapDetector()
    assert traps.check("http://www.gov.cn/a/b/a/b/a/b/index.html") == "path_repetition"
    assert traps.check("http://www.gov.cn/images/images/images/x.png") == "path_repetition"
    assert traps.check("http://www.gov.cn/a/b/a/b/index.html") is None
    assert traps.check("http://www.gov.cn/" + "/".join(f"s{i}" for i in range(30))) == "path_repetition"


def test_over_long_urls_are_a_trap() -> None:
    traps = TrapDetector(max_url_length=200)
    assert traps.check("http://www.gov.cn/search?q=" + "x" * 300) == "url_too_long"


def test_query_string_explosion_is_cut_off() -> None:
    traps = TrapDetector(max_query_variants=20, max_param_sets=4)
    pages = [traps.check(f"http://www.gov.cn/list.jsp?page={i}") for i in range(30)]
    assert pages[:20] == [None] * 20 and set(pages[20:]) == {"query_explosion"}
    assert traps.check("http://www.gov.cn/list.jsp?page=3") is None, "a variant already seen stays admitted"
    facets = [traps.check(f"http://www.gov.cn/s.jsp?{'&'.join(f'f{j}=1' for j in range(k + 1))}") for k in range(8)]
    assert facets[:4] == [None] * 4 and set(facets[4:]) == {"query_explosion"}
