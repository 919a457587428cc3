"""Settings come from the environment with defaults, and bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Invalid
from core.settings import Settings


def test_defaults_need_nothing_set() -> None:
    s = Settings.from_env({})
    assert s.database_url is None and s.nats_url is None, "unset URLs mean: start the embedded services"
    assert s.port == 8000 and s.search_engine == "tantivy" and s.data_dir == Path(".yiwang")


def test_values_are_typed() -> None:
    s = Settings.from_env({"PORT": "9001", "MAX_PAGE_SIZE": "50", "DATA_DIR": "/tmp/x", "LOG_LEVEL": "debug"})
    assert (s.port, s.max_page_size, s.data_dir, s.log_level) == (9001, 50, Path("/tmp/x"), "DEBUG")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT='eighty' is not a valid int"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"SEARCH_ENGINE": "solr"}, "SEARCH_ENGINE must be one of tantivy, meilisearch"),
        ({"SEARCH_ENGINE": "meilisearch"}, "needs MEILISEARCH_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(Invalid) as err:
        Settings.from_env(env)
    assert message in err.value.message


def test_secrets_are_masked_in_descriptions() -> None:
    s = Settings.from_env({"DATABASE_URL": "postgresql://u:hunter2@db/x", "MEILISEARCH_KEY": "k3y"})
    text = str(s.describe())
    assert "hunter2" not in text and "k3y" not in text
    assert "hunter2" not in repr(s) and "k3y" not in repr(s)
