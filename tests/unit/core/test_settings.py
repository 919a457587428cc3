"""Settings come from the environment with defaults, and bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import Invalid
from core.settings import Settings, mask_url


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


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:hunter2@db:5432/x", "postgresql://u:****@db:5432/x"),
        ("nats://hunter2hunter2@127.0.0.1:4222", "nats://****@127.0.0.1:4222"),  # a lone userinfo is a token
        (
            "postgresql://yiwang@db/x?password=hunter2&sslmode=require",
            "postgresql://yiwang@db/x?password=****&sslmode=require",
        ),
        ("redis://cache:6379/0?token=hunter2", "redis://cache:6379/0?token=****"),
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
    ],
)
def test_mask_url_hides_every_kind_of_secret(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "hunter2" not in str(Settings(nats_url=url, database_url=url).describe())


def test_graphql_ide_and_introspection_are_on_unless_production_turns_them_off() -> None:
    assert Settings.from_env({}).graphql_ide and Settings.from_env({}).graphql_introspection
    off = Settings.from_env({"GRAPHQL_IDE": "false", "GRAPHQL_INTROSPECTION": "0"})
    assert not off.graphql_ide and not off.graphql_introspection
    with pytest.raises(Invalid, match="GRAPHQL_IDE"):
        Settings.from_env({"GRAPHQL_IDE": "maybe"})
