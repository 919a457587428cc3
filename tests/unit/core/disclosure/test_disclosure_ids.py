"""Ids the importer gives new items: UUIDv7-shaped (a batch lands together in the primary key index), unique."""

from __future__ import annotations

from uuid import UUID

from core.disclosure.bulk_store import time_ordered_ids


def test_ids_are_version_7_unique_and_ordered_by_time_between_batches() -> None:
    first, second = [UUID(i) for i in time_ordered_ids(1000)], [UUID(i) for i in time_ordered_ids(1000)]
    assert {i.version for i in first + second} == {7}
    assert {i.variant for i in first} == {"specified in RFC 4122"}
    assert len(set(first + second)) == 2000
    assert max(i.int >> 80 for i in first) <= min(i.int >> 80 for i in second)
    assert time_ordered_ids(0) == []
