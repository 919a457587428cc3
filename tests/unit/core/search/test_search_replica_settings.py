"""A search replica's id names its durable consumer: checked when settings load, and its note is its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Invalid
from core.search.replica import consumer_name, marker_path, read_marker, write_marker
from core.settings import Settings


@pytest.mark.parametrize("bad", ["Host-A", "host.a", "-a", "a" * 33, "主机"])
def test_a_replica_id_that_cannot_name_a_nats_consumer_is_refused(bad: str) -> None:
    with pytest.raises(Invalid, match="SEARCH_REPLICA_ID must be 1-32 of a-z, 0-9, '-' and '_'"):
        Settings.from_env({"SEARCH_REPLICA_ID": bad})


def test_each_replica_has_its_own_durable_and_reads_only_its_own_note(tmp_path: Path) -> None:
    assert Settings.from_env({"SEARCH_REPLICA_ID": "host-b_2"}).search_replica_id == "host-b_2"
    assert consumer_name("") == "search-projector" and consumer_name("host-b") == "search-projector-host-b"
    note = marker_path(tmp_path)
    assert note == tmp_path / "search" / "documents" / "REPLICA.json" and read_marker(note, "x") is None
    write_marker(note, "search-projector-host-b", 41)
    assert read_marker(note, "search-projector-host-b") == 41
    assert read_marker(note, "search-projector-host-c") is None, "another replica's note is no start point"
