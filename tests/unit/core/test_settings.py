"""Settings come from the environment with defaults, and bad values are clear errors."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from core.errors import Invalid
from core.masking import mask_text, mask_url, secret_name
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
        ({"NATS_MONITOR": "yes"}, "NATS_MONITOR must be off, on or profile"),
        ({"STREAM_DUPLICATE_WINDOW_S": "0"}, "STREAM_DUPLICATE_WINDOW_S must be 1-86400 seconds"),
        # no count, size or interval is negative (they were taken: -5 comments an hour, a token dead when issued)
        ({"CONSULTATION_COMMENTS_PER_HOUR": "-5"}, "CONSULTATION_COMMENTS_PER_HOUR must not be negative, not -5"),
        ({"ACCESS_TOKEN_TTL_S": "-3"}, "ACCESS_TOKEN_TTL_S must not be negative"),
        ({"STREAM_MAX_BYTES": "-2"}, "STREAM_MAX_BYTES must not be negative"),  # -1 is NATS' "no limit"
        ({"MAX_QUERY_LENGTH": "0"}, "MAX_QUERY_LENGTH must be at least 1"),
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


SECRET = "hunter2"
URL_WITH_SECRETS = f"https://robot:{SECRET}@host.example.gov.cn:8443/path?token={SECRET}&page=1"


def _text_fields() -> list[str]:
    return [f.name for f in fields(Settings) if "str" in str(f.type)]


def test_every_text_setting_holding_a_url_shows_its_host_and_port_but_not_its_password() -> None:
    described = Settings(**{name: URL_WITH_SECRETS for name in _text_fields()}).describe()  # type: ignore[arg-type]
    assert SECRET not in str(described)
    for name in _text_fields():
        shown = described[name.upper()]
        assert shown == "****" or "host.example.gov.cn:8443" in shown, f"{name} hides its host or keeps a secret"
    assert described["HOTLINE_SOURCE"] == "https://robot:****@host.example.gov.cn:8443/path?token=****&page=1"
    assert described["DISCLOSURE_S3_ENDPOINT"].startswith("https://robot:****@host.example.gov.cn:8443/")


@pytest.mark.parametrize(
    "name",
    [
        "meilisearch_key",
        "admin_token",
        "search_id_key",
        "identity_hash_key",
        "identity_key_secret",
        "identity_upstreams",
        "disclosure_s3_access_key",
        "disclosure_s3_secret_key",
    ],
)
def test_secret_settings_are_masked_whole(name: str) -> None:
    assert Settings(**{name: f"{SECRET}{SECRET}{SECRET}"}).describe()[name.upper()] == "****"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["smtp_password", "sms_api_secret", "hash_salt", "wechat_token", "gateway_passphrase", "s3_credentials"],
)
def test_a_setting_named_as_a_secret_is_a_secret(name: str) -> None:
    assert secret_name(name), "a setting added later with such a name is masked without anyone remembering to"


def test_counts_and_limits_named_after_secrets_stay_visible() -> None:
    shown = Settings().describe()
    assert (shown["MAX_QUERY_TOKENS"], shown["ACCESS_TOKEN_TTL_S"], shown["OPENDATA_KEY_RATE_PER_MIN"]) == (
        "2000",
        "600",
        "600",
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "host=db port=5432 user=yiwang password=hunter2 dbname=x",
            "host=db port=5432 user=yiwang password=**** dbname=x",
        ),
        ("postgresql://yiwang:hunter2@db:5432/x", "postgresql://yiwang:****@db:5432/x"),
        ("nats://a:4222,nats://hunter2@b:4222", "nats://a:4222,nats://****@b:4222"),
        ("yiwang-crawler/0.1 (+https://github.com/yiwang)", "yiwang-crawler/0.1 (+https://github.com/yiwang)"),
        ("咨询=5,投诉=15,建议=15", "咨询=5,投诉=15,建议=15"),
    ],
)
def test_mask_text_masks_dsns_and_urls_inside_any_text(text: str, shown: str) -> None:
    assert mask_text(text) == shown


def test_home_place_is_a_city_or_county_of_the_national_standard() -> None:
    assert Settings.from_env({}).home_place is None
    assert Settings.from_env({"HOME_PLACE": "广州市"}).home_place == "广州市"
    assert Settings.from_env({"HOME_PLACE": "顺义区"}).home_place == "顺义区"
    with pytest.raises(Invalid, match="HOME_PLACE must be a city or county"):
        Settings.from_env({"HOME_PLACE": "花果山"})
