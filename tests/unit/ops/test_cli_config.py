"""`yiwang config` prints every setting, each secret masked: whole for keys, tokens and secrets, the password part
only for URLs and DSNs (their host and port stay readable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import get_settings
from ops.cli import main

SECRET = "hunter2hunter2hunter2"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    env = {
        "DATABASE_URL": f"postgresql://yiwang:{SECRET}@db.internal:5433/yiwang?sslmode=require",
        "NATS_URL": f"nats://{SECRET}@nats-1:4222,nats://{SECRET}@nats-2:4222",
        "BROKER_URL": f"redis://:{SECRET}@cache:6379/0",
        "HOTLINE_SOURCE": f"https://kb:{SECRET}@kb.example.gov.cn:8443/export.json",
        "DISCLOSURE_S3_ENDPOINT": f"https://minio:{SECRET}@s3.example.gov.cn:9000",
        "DISCLOSURE_S3_SECRET_KEY": SECRET,
        "IDENTITY_KEY_SECRET": SECRET,
        "IDENTITY_HASH_KEY": SECRET,
        "SEARCH_ID_KEY": SECRET,
        "ADMIN_TOKEN": SECRET,
        "MEILISEARCH_KEY": SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, str], str]:
    with pytest.raises(SystemExit) as done:
        main(["config", *argv])
    out, err = capsys.readouterr()
    shown = dict(line.split("=", 1) for line in out.splitlines())
    return int(done.value.code or 0), shown, err


def test_config_masks_every_secret_and_keeps_hosts_visible(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, _ = run(capsys)
    assert code == 0 and SECRET not in str(shown)
    assert shown["DATABASE_URL"] == "postgresql://yiwang:****@db.internal:5433/yiwang?sslmode=require"
    assert shown["NATS_URL"] == "nats://****@nats-1:4222,nats://****@nats-2:4222"
    assert shown["BROKER_URL"] == "redis://:****@cache:6379/0"
    assert shown["HOTLINE_SOURCE"] == "https://kb:****@kb.example.gov.cn:8443/export.json"
    assert shown["DISCLOSURE_S3_ENDPOINT"] == "https://minio:****@s3.example.gov.cn:9000"
    masked = ("DISCLOSURE_S3_SECRET_KEY", "IDENTITY_KEY_SECRET", "IDENTITY_HASH_KEY", "SEARCH_ID_KEY", "ADMIN_TOKEN")
    assert {shown[n] for n in (*masked, "MEILISEARCH_KEY")} == {"****"}
    assert shown["PORT"] == "8000" and shown["MAX_QUERY_TOKENS"] == "2000"  # not secrets: shown as they are


def test_config_prints_the_named_settings_and_refuses_an_unknown_name(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, _ = run(capsys, "database_url", "PORT")
    assert code == 0 and list(shown) == ["DATABASE_URL", "PORT"]
    with pytest.raises(SystemExit) as done:
        main(["config", "NO_SUCH_SETTING"])
    assert done.value.code == 2 and "no setting named NO_SUCH_SETTING" in capsys.readouterr().err
