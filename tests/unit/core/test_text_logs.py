"""The text log format keeps every field of a line: the bound ids and the record's extras."""

from __future__ import annotations

import logging

from core.logs import TextFormatter, request_id


def test_text_lines_carry_their_fields_quoted_when_needed() -> None:
    record = logging.LogRecord("scrapers.crawl", logging.INFO, __file__, 1, "crawl finished", None, None)
    record.site, record.crawl_id, record.summary = "demo-portal", 7, "12 pages, 0 errors"
    record.services, record.empty = ["postgres", "nats"], ""
    token = request_id.set("req-9")
    try:
        line = TextFormatter().format(record)
    finally:
        request_id.reset(token)
    assert line.endswith(
        "INFO    scrapers.crawl: crawl finished  request_id=req-9 site=demo-portal crawl_id=7 "
        'summary="12 pages, 0 errors" services=["postgres","nats"] empty=""'
    ), line
