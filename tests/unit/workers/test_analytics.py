"""The analytics consumer reads searches and clicks: its NATS filter and decoding follow its declared event types."""

from __future__ import annotations

from typing import Any, cast

import pytest

from core.bus import PageFetched, PageImported, ResultClicked, SearchLogged
from core.errors import Invalid
from workers.analytics import AnalyticsConsumer
from workers.indexer import ImportIndexer, Indexer


def analytics() -> AnalyticsConsumer:
    return AnalyticsConsumer(cast(Any, None), cast(Any, None))


def test_the_durable_consumer_filters_both_subjects_of_its_event_types() -> None:
    config = analytics().config(max_deliver=5, ack_wait_s=60, batch=1000)
    assert config.durable_name == "analytics"
    assert config.filter_subject is None
    assert config.filter_subjects == ["yw.search.logged.v1.>", "yw.click.v1.>"]


def test_each_message_decodes_as_the_event_type_its_subject_names() -> None:
    consumer = analytics()
    search = SearchLogged(search_id="s1", query="老年证", total=3, at="2031-01-01T00:00:00+00:00", site="demo")
    click = ResultClicked(search_id="s1", document_id="d1", position=2, at="2031-01-01T00:00:05+00:00")
    assert consumer.decode(search.subject, search.encode()) == search
    assert consumer.decode(click.subject, click.encode()) == click


def test_a_subject_of_another_event_type_is_invalid() -> None:
    page = PageFetched(site_id="demo", url="http://a/", status=200, content_hash="h", fetched_at="t")
    with pytest.raises(Invalid, match="not a subject of SearchLogged, ResultClicked"):
        analytics().decode(page.subject, page.encode())


def test_crawled_and_imported_pages_are_two_lanes_that_do_not_overlap() -> None:
    """A disclosure register's 40,000 pages go to `indexer-imports`; a crawled change never queues behind them."""
    crawled = Indexer(cast(Any, None), cast(Any, None)).config(max_deliver=5, ack_wait_s=60, batch=64)
    imported = ImportIndexer(cast(Any, None), cast(Any, None)).config(max_deliver=5, ack_wait_s=60, batch=64)
    assert (imported.durable_name, imported.filter_subject) == ("indexer-imports", "yw.crawl.import.v1.>")
    page = PageImported(site_id="u-1", url="http://a/", status=200, content_hash="h", fetched_at="t")
    assert page.subject == "yw.crawl.import.v1.u-1"
    assert not page.subject.startswith(str(crawled.filter_subject).removesuffix(">"))
    assert ImportIndexer(cast(Any, None), cast(Any, None)).decode(page.subject, page.encode()) == page
    with pytest.raises(Invalid, match="not a subject of PageImported"):
        ImportIndexer(cast(Any, None), cast(Any, None)).decode("yw.crawl.page.v1.u-1", page.encode())


def test_a_one_type_consumer_keeps_a_single_filter_subject() -> None:
    config = Indexer(cast(Any, None), cast(Any, None)).config(max_deliver=5, ack_wait_s=60, batch=64)
    assert (config.durable_name, config.filter_subject, config.filter_subjects) == (
        "indexer",
        "yw.crawl.page.v1.>",
        None,
    )
