"""SEARCH_REPLICA_SNAPSHOT starts a tantivy replica, so it is refused without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Invalid
from core.settings import Settings


def test_a_snapshot_setting_needs_a_tantivy_replica() -> None:
    with pytest.raises(Invalid, match="SEARCH_REPLICA_SNAPSHOT needs SEARCH_REPLICA_ID and SEARCH_ENGINE=tantivy"):
        Settings.from_env({"SEARCH_REPLICA_SNAPSHOT": "/srv/a.tar"})
    with pytest.raises(Invalid, match="SEARCH_REPLICA_SNAPSHOT needs"):
        meili = {"SEARCH_ENGINE": "meilisearch", "MEILISEARCH_URL": "http://127.0.0.1:7700"}
        Settings.from_env({"SEARCH_REPLICA_SNAPSHOT": "/srv/a.tar", "SEARCH_REPLICA_ID": "b", **meili})
    settings = Settings.from_env({"SEARCH_REPLICA_SNAPSHOT": "/srv/a.tar", "SEARCH_REPLICA_ID": "b"})
    assert settings.search_replica_snapshot == Path("/srv/a.tar")
