"""The free text of package_search's q (and GraphQL's datasets query): Solr's -word, NOT, AND and +word, OR refused."""

from __future__ import annotations

import pytest

from core.opendata.params import SearchQueryError
from core.opendata.search import read_query, structured
from core.opendata.search_query import WORDS, filter_sql


def test_words_and_their_operators() -> None:
    q = read_query({"q": "公交 -线路 NOT 地铁站 AND +站点 organization:jtj"}, is_admin=False)
    assert q.text == "公交 站点"
    assert q.filters == [(False, "organization", "jtj"), (True, WORDS, "'线路'"), (True, WORDS, "'地铁' & '铁站'")]
    assert filter_sql(WORDS) == "d.search @@ to_tsquery('simple', {v})"
    assert read_query({"q": "2020-2021 -"}, is_admin=False).text == "2020-2021 -"  # no operator in either
    assert read_query({"q": "公交 -，"}, is_admin=False).filters == []  # nothing searchable to exclude


def test_graphql_reads_the_same_words() -> None:
    q = structured("公交 -线路", {"tags": ["道路交通"]}, start=0, rows=10, include_private=False)
    assert q.text == "公交" and q.filters == [(True, WORDS, "'线路'"), (False, "tags", ["道路交通"])]
    assert structured("-线路", {}, start=0, rows=10, include_private=False).order.startswith("d.metadata_modified")


@pytest.mark.parametrize("text", ["公交 OR 地铁", "公交 || 地铁", "公交 NOT"])
def test_what_q_cannot_read_is_a_search_query_error(text: str) -> None:
    with pytest.raises(SearchQueryError, match=r"^q: "):
        read_query({"q": text}, is_admin=False)
    with pytest.raises(SearchQueryError, match=r"^query: ") as refused:
        structured(text, {}, start=0, rows=10, include_private=False)
    assert "fq=" not in str(refused.value)  # GraphQL has no fq: its message names its own filters


def test_a_request_cannot_name_the_words_filter() -> None:
    with pytest.raises(SearchQueryError, match="unknown field '__words'"):
        read_query({"fq": "__words:x"}, is_admin=False)
