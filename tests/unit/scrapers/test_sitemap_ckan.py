"""Hostile input to the sitemap reader and the CKAN harvester: DTDs anywhere in a sitemap, non-http resources."""

from __future__ import annotations

import logging

import pytest

from core.errors import Invalid
from scrapers.ckan import resources
from scrapers.sitemap import parse_sitemap

URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://s/a</loc></url></urlset>'


def test_a_dtd_after_the_first_4_kb_is_refused() -> None:
    padding = "<!-- " + "x" * 8000 + " -->\n"
    body = f'<?xml version="1.0"?>\n{padding}<!DOCTYPE urlset [<!ENTITY e "boom">]>\n{URLSET}'.encode()
    with pytest.raises(Invalid, match="DTD"):
        parse_sitemap(body)
    assert parse_sitemap((padding + URLSET).encode())[0][0].url == "http://s/a"


def test_a_wide_encoding_that_would_hide_the_dtd_is_refused() -> None:
    body = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "b">]>' + URLSET).encode("utf-16")
    with pytest.raises(Invalid):
        parse_sitemap(body)


def test_ckan_resources_keep_only_http_urls(caplog: pytest.LogCaptureFixture) -> None:
    pkg = {
        "name": "budget",
        "resources": [
            {"url": "https://data.example/budget.csv", "format": "CSV", "name": "预算"},
            {"url": "file:///etc/passwd", "format": "CSV"},
            {"url": "javascript:alert(1)"},
            {"url": "ftp://files.example/budget.xls"},
            {"url": " java\tscript:alert(1)"},
            {"url": "//no-scheme.example/x"},
        ],
    }
    with caplog.at_level(logging.WARNING, logger="scrapers.ckan"):
        kept = resources(pkg)
    assert [r["url"] for r in kept] == ["https://data.example/budget.csv"]
    assert sum("not an http(s) URL" in r.message for r in caplog.records) == 5
    assert (kept[0]["name"], kept[0]["format"]) == ("预算", "CSV")
