"""sites.yaml: the documented format loads; every mistake is reported with the entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Invalid
from core.sites import check_site_id, is_site_id, load_sites_file, parse_sites

GOOD = """
sites:
  - id: portal
    name: 示范市人民政府
    level: 市
    region: "990100"
    start_urls: ["http://127.0.0.1:8081/"]
    schedule: 10m
    feeds: ["http://127.0.0.1:8081/rss.xml"]
  - id: county
    name: 青山县
    level: 区县
    parent: portal
    start_urls: http://127.0.0.1:8082/
    allowed_hosts: ["127.0.0.1:8082", "www.example.gov.cn"]
    exclude: ["/admin/"]
    max_pages: 50
"""


def test_good_file_loads_with_defaults() -> None:
    portal, county = parse_sites(GOOD)
    assert portal.schedule_s == 600 and portal.allowed_hosts == ["127.0.0.1:8081"]
    assert county.parent == "portal" and county.max_pages == 50 and county.schedule_s == 3600
    assert county.start_urls == ["http://127.0.0.1:8082/"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sites: [", "not valid YAML at line 1"),
        ("pages: []", "must be a mapping with a `sites:` list"),
        ("sites: [{id: a, name: A, level: 市}]", "sites[0] (a): start_urls is required"),
        ("sites: [{id: A_B, name: A, level: 市, start_urls: [http://x/]}]", "id must be lower-case"),
        ("sites: [{id: a, name: A, level: 大市, start_urls: [http://x/]}]", "level must be one of"),
        ("sites: [{id: a, name: A, level: 市, start_urls: [ftp://x/]}]", "not an http(s) URL"),
        ("sites: [{id: a, name: A, level: 市, start_urls: [http://x/], schedule: often}]", "not a duration"),
        ("sites: [{id: a, name: A, level: 市, start_urls: [http://x/], colour: red}]", "unknown keys ['colour']"),
        ("sites: [{id: a, name: A, level: 市, start_urls: [http://x/], max_pages: -1}]", "positive whole number"),
        (
            "sites: [{id: a, name: A, level: 市, start_urls: [http://x/]}, {id: a, name: B, level: 市, "
            "start_urls: [http://y/]}]",
            "site id 'a' appears twice",
        ),
        ("sites: [{id: a, name: A, level: 市, start_urls: [http://x/], parent: zz}]", "names parent 'zz'"),
        ("sites: [{id: a, name: A, level: 市, start_urls: [http://x/], ckan: [data.example]}]", "ckan has"),
    ],
)
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_sites(text)
    assert message in err.value.message


def test_ckan_sources_are_optional_and_reach_the_crawler() -> None:
    text = GOOD.replace("    schedule: 10m\n", '    schedule: 10m\n    ckan: ["https://data.example.gov.cn/"]\n')
    portal, county = parse_sites(text)
    assert portal.crawl_config()["ckan"] == ["https://data.example.gov.cn/"]
    assert county.ckan == [] and county.crawl_config()["ckan"] == []


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="does not exist"):
        load_sites_file(tmp_path / "nope.yaml")


def test_example_file_in_docs_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    assert parse_sites((root / "docs" / "sites.example.yaml").read_text(encoding="utf-8"))


def test_an_id_with_a_trailing_newline_is_refused() -> None:
    # re.match(r"^...$") let "abc\n" through; core.sites.ids matches the whole string
    with pytest.raises(Invalid) as err:
        parse_sites('sites: [{id: "abc\\n", name: A, level: 市, start_urls: [http://x/]}]')
    assert "id must be lower-case letters, digits and dashes (got 'abc\\n')" in err.value.message
    assert is_site_id("abc") and not is_site_id("abc\n")
    with pytest.raises(Invalid, match="is not a site id"):
        check_site_id("abc\n", where="site")


def test_allow_private_ranges_are_validated_and_reach_the_crawler() -> None:
    text = GOOD.replace("    max_pages: 50\n", '    max_pages: 50\n    allow_private: ["10.1.0.0/16", "fd00::/8"]\n')
    portal, county = parse_sites(text)
    assert county.crawl_config()["allow_private"] == ["10.1.0.0/16", "fd00::/8"]
    assert portal.crawl_config()["allow_private"] == []
    for bad, message in (("[10.0.0.300/8]", "not an address range"), ("[0.0.0.0/0]", "every address")):
        with pytest.raises(Invalid) as err:
            parse_sites(f"sites: [{{id: a, name: A, level: 市, start_urls: [http://x/], allow_private: {bad}}}]")
        assert message in err.value.message
