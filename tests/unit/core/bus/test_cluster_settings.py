"""NATS_URL as a list of servers, STREAM_REPLICAS, and what counts as Postgres being away (docs/operations.md)."""

from __future__ import annotations

import asyncpg
import pytest

from core.bus.client import Bus, cluster_size, server_list, shared_token, stream_config
from core.db import unavailable
from core.errors import Invalid
from core.masking import mask_url
from core.settings import Settings


def test_nats_url_may_list_several_servers() -> None:
    url = "nats://tok@127.0.0.1:4001, nats://tok@127.0.0.1:4002,nats://tok@127.0.0.1:4003"
    assert server_list(url) == ["nats://tok@127.0.0.1:4001", "nats://tok@127.0.0.1:4002", "nats://tok@127.0.0.1:4003"]
    assert server_list("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]
    with pytest.raises(Invalid, match="no server"):
        server_list(" , ")


def test_one_token_for_every_server_reaches_the_announced_ones_too() -> None:
    assert shared_token(["nats://tok@127.0.0.1:1", "nats://tok@127.0.0.1:2"]) == "tok"
    assert shared_token(["nats://a@127.0.0.1:1", "nats://b@127.0.0.1:2"]) is None, "different tokens: each its own"
    assert shared_token(["nats://user:pw@127.0.0.1:1"]) is None, "a user and password is not a token"
    assert shared_token(["nats://127.0.0.1:4222"]) is None


def test_every_token_of_a_server_list_is_masked() -> None:
    masked = mask_url("nats://secret-token@127.0.0.1:4001,nats://secret-token@127.0.0.1:4002")
    assert masked == "nats://****@127.0.0.1:4001,nats://****@127.0.0.1:4002"
    assert mask_url("postgresql://u:pw@h/db?options=a,b") == "postgresql://u:****@h/db?options=a,b"


def test_the_cluster_size_comes_from_the_servers_info() -> None:
    assert cluster_size({"server_id": "x"}) == 1, "a lone server"
    assert cluster_size({"cluster": "yiwang", "connect_urls": ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:2"]}) == 2
    assert cluster_size({"cluster": "yiwang", "connect_urls": "not a list"}) == 1


@pytest.mark.parametrize(
    ("setting", "size", "current", "wanted"),
    [
        (0, 1, None, 1),  # one server: one copy
        (0, 5, None, 3),  # auto: at most 3
        (0, 2, 3, 3),  # a node away does not shrink a stream
        (0, 3, 1, 3),  # a stream made before the cluster grows
        (2, 5, 3, 2),  # set: exactly that, down too
    ],
)
def test_stream_replicas(setting: int, size: int, current: int | None, wanted: int) -> None:
    bus = Bus(Settings(stream_replicas=setting))
    info = {"cluster": "c", "connect_urls": [f"127.0.0.1:{i}" for i in range(size)]}
    bus.nc = type("Conn", (), {"_server_info": info})()  # type: ignore[assignment]
    assert bus.wanted_replicas(current) == wanted
    assert stream_config("YW_CRAWL", ["yw.crawl.>"], bus.settings, wanted).num_replicas == wanted


@pytest.mark.parametrize("bad", ["-1", "6", "three"])
def test_a_bad_stream_replicas_is_refused(bad: str) -> None:
    with pytest.raises(Invalid, match="STREAM_REPLICAS"):
        Settings.from_env({"STREAM_REPLICAS": bad})


def test_postgres_away_is_told_from_a_wrong_query() -> None:
    assert unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert unavailable(asyncpg.CannotConnectNowError("the database system is shutting down"))
    assert unavailable(asyncpg.AdminShutdownError("terminating connection due to administrator command"))
    try:
        try:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        except asyncpg.PostgresError as lost:
            raise RuntimeError("while saving") from lost
    except RuntimeError as wrapped:
        assert unavailable(wrapped), "a cause counts"
    assert not unavailable(asyncpg.UniqueViolationError("duplicate key"))
    assert not unavailable(asyncpg.QueryCanceledError("canceling statement due to statement timeout"))
    assert not unavailable(ValueError("bad input"))


def test_the_duplicate_window_is_a_setting_and_yw_search_keeps_at_most_two_minutes() -> None:
    shorter = Settings(stream_duplicate_window_s=300)
    assert stream_config("YW_CRAWL", ["yw.crawl.>"], shorter).duplicate_window == 300
    assert stream_config("YW_SEARCH", ["yw.search.>"], shorter).duplicate_window == 120
    assert stream_config("YW_SEARCH", ["yw.search.>"], Settings(stream_duplicate_window_s=60)).duplicate_window == 60
    assert stream_config("YW_DOC", ["yw.doc.>"], Settings()).duplicate_window == 3600
