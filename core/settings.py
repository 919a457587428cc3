"""Every knob of yiwang, read once from the environment (typed, defaults documented in README)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.errors import Invalid

SEARCH_ENGINES = ("tantivy", "meilisearch")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_ADMIN_TOKEN = 16


@dataclass(frozen=True, repr=False, kw_only=True)
class Settings:
    """The whole configuration; `from_env` is the only reader of os.environ in the project."""

    database_url: str | None = None
    nats_url: str | None = None
    broker_url: str | None = None
    search_engine: str = "tantivy"
    meilisearch_url: str | None = None
    meilisearch_key: str | None = field(default=None, repr=False)
    search_shards: int = 2  # core.search.tantivy_store.DEFAULT_SHARDS
    admin_token: str | None = field(default=None, repr=False)  # admin mutations need it (Bearer)
    data_dir: Path = Path(".yiwang")
    sites_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: str = "json"
    # API limits
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_query_aliases: int = 30
    max_query_length: int = 500
    graphql_ide: bool = True  # GraphiQL at GET /graphql; production sets false
    graphql_introspection: bool = True  # __schema / __type queries; production sets false
    max_query_cost: int = 1000  # schema.cost: list fields × page size, expensive resolvers declared
    rate_limit_per_min: int = 600  # per client address, token bucket per API process; 0 turns it off
    rate_limit_burst: int = 300
    trusted_proxies: str = ""  # comma-separated addresses/CIDRs whose X-Forwarded-For is believed
    max_subscriptions_per_connection: int = 10
    max_subscriptions_per_client: int = 50
    inventory_cache_s: float = 60.0  # inventoryComparison answers kept this long, per level
    metrics_cache_s: float = 15.0  # /metrics platform gauges (Postgres, NATS) re-read at most this often
    metrics_port: int = 0  # when set, /metrics is served only on this port (same host)
    # search: suggestions anonymous searches earn, signed search ids for recordClick, stream caps
    search_id_key: str | None = field(default=None, repr=False)  # HMAC key; unset: a random one per process
    suggest_min_clients: int = 5  # client-days within the window before a query is suggested
    suggest_window_days: int = 30  # only searches of the last N days count
    suggest_refresh_s: float = 60.0  # how often each API process saves counts and reloads suggestions
    search_max_clicks: int = 10  # clicks recorded per search id
    stream_max_bytes_search: int = 256 * 1024 * 1024  # YW_SEARCH: the oldest events go past this
    stream_max_bytes: int = -1  # every other stream (-1: no limit); when full, publishers wait, nothing is dropped
    # crawling limits
    crawl_max_pages: int = 5000
    crawl_max_depth: int = 8
    crawl_max_body_bytes: int = 5 * 1024 * 1024
    crawl_timeout_s: float = 20.0
    crawl_concurrency: int = 8
    crawl_host_delay_s: float = 0.0
    crawl_user_agent: str = "yiwang-crawler/0.1 (+https://github.com/yiwang)"
    event_text_cap: int = 200_000
    # bus
    consumer_batch: int = 64
    consumer_max_deliver: int = 5
    consumer_ack_wait_s: float = 60.0
    publish_buffer_bytes: int = 8 * 1024 * 1024
    # jobs and scheduling
    job_time_limit_s: int = 1800
    job_max_retries: int = 5
    # a job worker silent this long is dead: its jobs run again within ~1.5x this (dramatiq-postgres heartbeat)
    job_worker_timeout_s: float = 20.0
    scheduler_tick_s: float = 10.0
    # start-up
    connect_retries: int = 10
    connect_retry_delay_s: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw, f.type)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.search_engine not in SEARCH_ENGINES:
            raise Invalid(f"SEARCH_ENGINE must be one of {', '.join(SEARCH_ENGINES)}, not {self.search_engine!r}")
        if self.search_engine == "meilisearch" and not self.meilisearch_url:
            raise Invalid("SEARCH_ENGINE=meilisearch needs MEILISEARCH_URL")
        if self.log_level.upper() not in LOG_LEVELS:
            raise Invalid(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        if not 0 < self.port < 65536:
            raise Invalid(f"PORT must be between 1 and 65535, not {self.port}")
        if not 1 <= self.search_shards <= 16:
            raise Invalid(f"SEARCH_SHARDS must be between 1 and 16, not {self.search_shards}")
        if self.admin_token is not None and len(self.admin_token) < MIN_ADMIN_TOKEN:
            raise Invalid(f"ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} characters (a random string)")
        if self.max_page_size < 1:
            raise Invalid("MAX_PAGE_SIZE must be at least 1")
        self._validate_search()
        if not 0 <= self.metrics_port < 65536 or (self.metrics_port and self.metrics_port == self.port):
            raise Invalid(f"METRICS_PORT must be 0 (off) or a port other than PORT, not {self.metrics_port}")
        if self.rate_limit_per_min < 0 or self.rate_limit_burst < 1:
            raise Invalid("RATE_LIMIT_PER_MIN must be 0 (off) or more and RATE_LIMIT_BURST at least 1")

    def _validate_search(self) -> None:
        if self.suggest_min_clients < 1 or self.suggest_window_days < 1:
            raise Invalid("SUGGEST_MIN_CLIENTS and SUGGEST_WINDOW_DAYS must be at least 1")
        if self.search_id_key is not None and len(self.search_id_key) < MIN_ADMIN_TOKEN:
            raise Invalid(f"SEARCH_ID_KEY must be at least {MIN_ADMIN_TOKEN} characters (a random string)")
        if self.search_max_clicks < 1 or self.stream_max_bytes_search < 1:
            raise Invalid("SEARCH_MAX_CLICKS and STREAM_MAX_BYTES_SEARCH must be at least 1")

    def with_urls(self, **urls: str) -> Settings:
        return replace(self, **urls)  # type: ignore[arg-type]

    @property
    def effective_broker_url(self) -> str | None:
        return self.broker_url or self.database_url

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if v) + ")"

    def describe(self) -> dict[str, str]:
        """Settings for logs and `yiwang config`: secrets and URL passwords masked."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_key", "_token")) and value:
                value = "****"
            elif f.name.endswith("_url") and value:
                value = mask_url(str(value))
            out[f.name.upper()] = "" if value is None else str(value)
        return out


SECRET_PARAMS = ("password", "passwd", "pass", "token", "secret", "key", "api_key", "apikey", "auth_token")


def mask_url(url: str) -> str:
    """The URL with its secrets masked: `user:****@`, a lone userinfo (a NATS token) as `****@`, and the
    values of query parameters such as `password` or `token`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "****"
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:****@{host}"
        elif not parts.scheme.startswith("postgres"):  # a lone userinfo is a token (nats://TOKEN@), not a role
            netloc = f"****@{host}"
    if query:
        pairs = [pair.partition("=") for pair in query.split("&")]
        query = "&".join(f"{k}{eq}****" if eq and k.lower() in SECRET_PARAMS else f"{k}{eq}{v}" for k, eq, v in pairs)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _convert(name: str, raw: str, kind: object) -> object:
    kind = str(kind)
    if kind.startswith("bool"):
        return _boolean(name, raw)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if "Path" in kind:
            return Path(raw)
    except ValueError:
        raise Invalid(f"{name.upper()}={raw!r} is not a valid {kind.split(' ')[0]}") from None
    if name == "log_level":
        return raw.upper()
    return raw


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise Invalid(f"{name.upper()}={raw!r} must be true or false")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
