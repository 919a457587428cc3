"""Events: declared once, versioned subjects with a site partition, stable idempotency keys, strict decoding."""

from __future__ import annotations

import pytest

from core.bus import DocumentChanged, PageFetched, subject_for_site
from core.errors import Invalid


def test_round_trip_and_subject() -> None:
    ev = PageFetched(site_id="demo-portal", url="http://a/b", status=200, content_hash="h", fetched_at="t",
                     title="关于印发的通知", meta={"doc_no": "示政发〔2024〕1号"})  # fmt: skip
    assert ev.subject == "yw.crawl.page.v1.demo-portal"
    assert PageFetched.decode(ev.encode()) == ev


def test_same_fact_same_key_other_content_other_key() -> None:
    a = PageFetched(site_id="s", url="http://a/", status=200, content_hash="h1", fetched_at="t1")
    b = PageFetched(site_id="s", url="http://a/", status=200, content_hash="h1", fetched_at="t2")
    c = PageFetched(site_id="s", url="http://a/", status=200, content_hash="h2", fetched_at="t1")
    assert a.key == b.key != c.key


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = b'{"site_id":"s","url":"u","status":200,"content_hash":"h","fetched_at":"t","added_in_v1_1":1}'
    assert PageFetched.decode(raw).url == "u"


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", b'{"site_id":"s"}', b"\xff\xfe"])
def test_malformed_payloads_are_invalid(raw: bytes) -> None:
    with pytest.raises(Invalid):
        DocumentChanged.decode(raw)


def test_site_subjects() -> None:
    assert subject_for_site(DocumentChanged, "demo-dept") == "yw.doc.changed.v1.demo-dept"
    assert subject_for_site(DocumentChanged, None) == "yw.doc.changed.v1.*"
