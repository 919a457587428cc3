"""Every knob of yiwang, read once from the environment (typed, defaults documented in README)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

from core.errors import Invalid
from core.masking import mask_text, mask_url, secret_name
from core.setting_values import convert, cors_origin_list, number_pairs

SEARCH_ENGINES = ("tantivy", "meilisearch")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_ADMIN_TOKEN = 16
UNLIMITED_BY_MINUS_ONE = frozenset({"stream_max_bytes"})  # -1: no limit, as NATS reads it


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
    # a search host's own index replica, fed by the durable `search-projector-<id>` (docs/operations.md)
    search_replica_id: str = ""
    # a tar from `yiwang replica snapshot` a new replica starts from instead of a rebuild out of Postgres
    search_replica_snapshot: Path | None = None
    admin_token: str | None = field(default=None, repr=False)  # break-glass admin (Bearer), off unless set; audited
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
    live_queue_events: int = 100  # live events a subscriber may lag before its feed ends with SLOW_CONSUMER
    inventory_cache_s: float = 60.0  # inventoryComparison answers kept this long, per level
    metrics_cache_s: float = 15.0  # /metrics platform gauges (Postgres, NATS) re-read at most this often
    metrics_port: int = 0  # when set, /metrics is served only on this port (same host)
    # search: suggestions anonymous searches earn, signed search ids for recordClick, stream caps
    search_id_key: str | None = field(default=None, repr=False)  # HMAC key; unset: a random one per process
    suggest_min_clients: int = 5  # client-days within the window before a query is suggested
    suggest_window_days: int = 30  # only searches of the last N days count
    suggest_refresh_s: float = 60.0  # how often each API process saves counts and reloads suggestions
    search_max_clicks: int = 10  # clicks recorded per search id
    suggest_title_docs: int = 100_000  # documents (newest first) each API process keeps for document suggestions
    weather_provider: str = "none"  # instant weather answers: none, or demo (made-up data, labelled); docs/search.md
    weather_city: str = "北京"  # the city of 今天天气 when the query names none
    # the city (or county) this deployment serves: 本市, 我市, 咱们这儿 … in a citizen's question name it (Q&A)
    home_place: str | None = None
    stream_max_bytes_search: int = 256 * 1024 * 1024  # YW_SEARCH: the oldest events go past this
    stream_max_bytes: int = -1  # every other stream (-1: no limit); when full, publishers wait, nothing is dropped
    stream_replicas: int = 0  # copies of each stream in a NATS cluster; 0: min(3, cluster size) (docs/operations.md)
    # how long JetStream drops a second publish of the same event; it holds each id that long, ~200 bytes of memory
    # per message per replica (docs/operations.md, sizing); YW_SEARCH keeps at most two minutes
    stream_duplicate_window_s: int = 3600
    # the embedded NATS only: "on" opens its HTTP monitoring on loopback, "profile" also Go's profiler (both answer
    # without the NATS token, so they are off by default; docs/operations.md, runbook)
    nats_monitor: str = "off"
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
    # identity (issue 13, IDP): the OpenID Connect provider; docs/identity.md
    public_url: str | None = None  # the issuer (the API's base URL as browsers reach it); default http://HOST:PORT
    identity_hash_key: str | None = field(default=None, repr=False)  # HMAC key of ID-number hashes
    # seals the private signing keys at rest (AES-GCM, core/identity/sealing.py); unset: stored in the clear
    identity_key_secret: str | None = field(default=None, repr=False)
    session_ttl_s: int = 8 * 3600  # a browser sign-in at the provider
    access_token_ttl_s: int = 600  # access and ID tokens
    refresh_token_ttl_s: int = 30 * 86400
    auth_code_ttl_s: int = 60
    login_max_failures_account: int = 5  # failed sign-ins per account within the window before a lockout
    login_max_failures_address: int = 30  # failed sign-ins per client address within the window
    login_failure_window_s: int = 900
    login_lockout_s: int = 900
    # identity federation (issue 13, FED): upstream providers offered on the login page; docs/identity.md
    identity_upstreams: str = field(default="", repr=False)  # JSON list, or the path of a .json/.yaml file
    upstream_timeout_s: float = 10.0  # each call to an upstream provider (discovery, JWKS, token, userinfo)
    upstream_login_ttl_s: int = 600  # how long a person may take at the upstream provider
    # start-up
    connect_retries: int = 10
    connect_retry_delay_s: float = 1.0
    # user space (letters and applications, core/letters, core/applications; issue 13)
    letter_real_name_level: int = 2  # real-name level (0-3) a letter needs on a site LETTER_SITE_LEVELS leaves out
    letter_site_levels: str = ""  # per site, e.g. "portal=3,county-a=1"
    letter_reply_days: str = "咨询=5,投诉=15,建议=15"  # working days (holiday calendar) a department has to reply
    # a published letter's page: portal = PUBLIC_URL (the portal's /letters/{id}); origin: the site's first start URL
    letter_url_template: str = "{portal}/letters/{id}"
    # frontends on other origins (issue 17, WIRE): CORS, persisted queries, GET caching; docs/frontend.md
    cors_origins: str = "sites"  # comma-separated origins allowed cross-origin; `sites`: every enabled site's own
    cors_refresh_s: float = 60.0  # how often the sites' origins are read again from Postgres
    cors_max_age_s: int = 600  # how long a browser may keep a preflight's answer
    apq_cache_size: int = 2000  # persisted queries kept per API process (least recently used go first)
    apq_cache_bytes: int = 8 * 1024 * 1024  # and their total size
    graphql_get_max_age_s: int = 60  # Cache-Control max-age of a public query's GET response (0: revalidate)
    # grassroots disclosure (issue 15, DISC): core/disclosure; docs/disclosure.md
    disclosure_max_voucher_bytes: int = 10 * 1024 * 1024  # one voucher (a PDF, PNG or JPEG)
    disclosure_freshness_days: str = "财务=31,村(居)务=92,党务=92,政务=92"  # days a category may go without an item
    disclosure_s3_endpoint: str | None = None  # an S3-compatible store for vouchers instead of DATA_DIR/blobs
    disclosure_s3_bucket: str = "yiwang-vouchers"
    disclosure_s3_region: str = "us-east-1"
    disclosure_s3_access_key: str | None = field(default=None, repr=False)
    disclosure_s3_secret_key: str | None = field(default=None, repr=False)
    # the disclosure-notify consumer re-sends what a crashed writer left in the outbox (and retries refused deliveries)
    # this often, events or not; 0: only when an event arrives (core/disclosure/notices.py)
    disclosure_outbox_resend_s: float = 30.0
    # open data (issue 14): the CKAN-compatible catalogue, datastore and developer keys; docs/opendata.md
    opendata_domains: str = (  # the domains (CKAN groups) datasets are filed under, comma-separated
        "公共安全,民生服务,经济建设,教育科技,卫生健康,农业农村,资源环境,道路交通,社会发展,城市建设,信用服务,"
        "财税金融,文化旅游,机构团体"
    )
    opendata_site: str = "opendata"  # the site the catalogue's `dataset` documents (search scene 开放数据) belong to
    opendata_key_rate_per_min: int = 600  # a new developer key's rate limit (calls per minute, per API process)
    datastore_sql_timeout_ms: int = 5000  # statement_timeout of datastore_search_sql and datastore_search
    datastore_max_upload_bytes: int = 200 * 1024 * 1024  # resource_create uploads above this are refused
    # engagement (issue 18): 电视问政 commitments and public consultations (意见征集); docs/engagement.md
    consultation_real_name_level: int = 1  # real-name level (1-3) a consultation comment needs; 0 counts as 1
    consultation_comments_per_hour: int = 10  # comments one person may send in any hour (0: no limit)
    # 一网通答 connectors (issue 18, CONNECT): personal lookups and the 12345 knowledge-base sync; docs/qa-connectors.md
    personal_records: str = "off"  # the records connector: off, or demo (made-up data; `yiwang up` sets it)
    personal_records_timeout_s: float = 3.0  # a lookup slower than this answers UPSTREAM / "try later"
    hotline_source: str = ""  # the 12345 knowledge base to sync: a JSON/JSONL/CSV file or an http(s) URL; "" off
    hotline_sync_interval_s: float = 3600.0  # the scheduler queues a sync this often (when HOTLINE_SOURCE is set)
    # the scheduler queues a whole rebuild of the service knowledge graph this often (0: never; docs/qa-graph.md)
    qa_graph_rebuild_interval_s: float = 86400.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = convert(f.name, raw, f.type)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        self._validate_numbers()
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
        self._validate_nats()
        if not 0 <= self.metrics_port < 65536 or (self.metrics_port and self.metrics_port == self.port):
            raise Invalid(f"METRICS_PORT must be 0 (off) or a port other than PORT, not {self.metrics_port}")
        if self.rate_limit_per_min < 0 or self.rate_limit_burst < 1:
            raise Invalid("RATE_LIMIT_PER_MIN must be 0 (off) or more and RATE_LIMIT_BURST at least 1")
        self._validate_letters()
        self._validate_frontends()
        self._validate_connectors()
        self._validate_timers()

    def _validate_numbers(self) -> None:
        """No count, size, port or interval is negative (0 means off where a setting says so); a query may be long."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in UNLIMITED_BY_MINUS_ONE and value == -1:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise Invalid(f"{f.name.upper()} must not be negative, not {value}")
        if self.max_query_length < 1:
            raise Invalid(f"MAX_QUERY_LENGTH must be at least 1, not {self.max_query_length}")

    def _validate_frontends(self) -> None:
        """CORS_ORIGINS (the word `sites` or origins such as https://www.example.gov.cn) and the cache sizes."""
        cors_origin_list(self.cors_origins)
        if self.cors_refresh_s <= 0 or self.cors_max_age_s < 0 or self.graphql_get_max_age_s < 0:
            raise Invalid("CORS_REFRESH_S must be above 0; CORS_MAX_AGE_S and GRAPHQL_GET_MAX_AGE_S at least 0")
        if self.apq_cache_size < 1 or self.apq_cache_bytes < 1024:
            raise Invalid("APQ_CACHE_SIZE must be at least 1 and APQ_CACHE_BYTES at least 1024")
        if self.live_queue_events < 1:
            raise Invalid(f"LIVE_QUEUE_EVENTS must be at least 1, not {self.live_queue_events}")

    def _validate_letters(self) -> None:
        """The user space's knobs (core/letters): levels 0-3, a reply period of 1-365 working days per kind."""
        levels = {"LETTER_REAL_NAME_LEVEL": self.letter_real_name_level}
        levels |= {
            f"LETTER_SITE_LEVELS[{k}]": v
            for k, v in number_pairs("LETTER_SITE_LEVELS", self.letter_site_levels).items()
        }
        for name, level in levels.items():
            if not 0 <= level <= 3:
                raise Invalid(f"{name} must be a real-name level 0-3, not {level}")
        days = number_pairs("LETTER_REPLY_DAYS", self.letter_reply_days)
        if set(days) != {"咨询", "投诉", "建议"} or not all(1 <= d <= 365 for d in days.values()):
            raise Invalid("LETTER_REPLY_DAYS must give 1-365 working days for each of 咨询, 投诉 and 建议")
        try:  # formatted after a reply commits: a template that cannot format must stop the start, not a reply
            formatted = self.letter_url_template.format(portal="https://p", origin="https://x", id="1")
        except (KeyError, IndexError, ValueError) as exc:
            raise Invalid(f"LETTER_URL_TEMPLATE can use only {{portal}}, {{origin}} and {{id}}: {exc!r}") from None
        if "{id}" not in self.letter_url_template or not formatted:
            raise Invalid("LETTER_URL_TEMPLATE must contain {id}")
        self._validate_identity()

    def _validate_identity(self) -> None:
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise Invalid(f"PUBLIC_URL must be an http(s) URL, not {self.public_url!r}")
        if self.identity_key_secret is not None and len(self.identity_key_secret) < MIN_ADMIN_TOKEN:
            raise Invalid(f"IDENTITY_KEY_SECRET must be at least {MIN_ADMIN_TOKEN} characters (a random string)")
        if self.identity_hash_key is not None and len(self.identity_hash_key) < MIN_ADMIN_TOKEN:
            raise Invalid(f"IDENTITY_HASH_KEY must be at least {MIN_ADMIN_TOKEN} characters (a random string)")
        ttls = (self.session_ttl_s, self.access_token_ttl_s, self.refresh_token_ttl_s, self.auth_code_ttl_s)
        if min(ttls) < 1 or self.login_max_failures_account < 1 or self.login_max_failures_address < 1:
            raise Invalid("identity lifetimes (*_TTL_S) and LOGIN_MAX_FAILURES_* must be at least 1")
        if self.upstream_timeout_s <= 0 or self.upstream_login_ttl_s < 1:  # federation (FED)
            raise Invalid("UPSTREAM_TIMEOUT_S must be above 0 and UPSTREAM_LOGIN_TTL_S at least 1")

    def _validate_connectors(self) -> None:
        """PERSONAL_RECORDS (demo or off), its timeout, and the hotline sync's interval (issue 18)."""
        if self.personal_records not in ("demo", "off"):
            raise Invalid(f"PERSONAL_RECORDS must be demo or off, not {self.personal_records!r}")
        if self.personal_records_timeout_s <= 0 or self.hotline_sync_interval_s < 60:
            raise Invalid("PERSONAL_RECORDS_TIMEOUT_S must be above 0 and HOTLINE_SYNC_INTERVAL_S at least 60")

    def _validate_timers(self) -> None:
        """The disclosure outbox's re-send timer and the service graph's rebuild interval."""
        if self.disclosure_outbox_resend_s < 0:
            raise Invalid("DISCLOSURE_OUTBOX_RESEND_S must be 0 (only when an event arrives) or more")
        if self.qa_graph_rebuild_interval_s and self.qa_graph_rebuild_interval_s < 60:
            raise Invalid("QA_GRAPH_REBUILD_INTERVAL_S must be 0 (never) or at least 60")

    @property
    def issuer(self) -> str:
        """The OpenID Connect issuer: PUBLIC_URL without a trailing slash, else http://HOST:PORT."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def _validate_nats(self) -> None:
        if self.nats_monitor not in ("off", "on", "profile"):
            raise Invalid(f"NATS_MONITOR must be off, on or profile, not {self.nats_monitor!r}")
        if not 1 <= self.stream_duplicate_window_s <= 24 * 3600:
            raise Invalid(f"STREAM_DUPLICATE_WINDOW_S must be 1-86400 seconds, not {self.stream_duplicate_window_s}")
        if not 0 <= self.stream_replicas <= 5:  # JetStream keeps at most 5 replicas
            raise Invalid(f"STREAM_REPLICAS must be 0 (auto) or 1-5, not {self.stream_replicas}")

    def _validate_search(self) -> None:
        if self.search_replica_id and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", self.search_replica_id):
            raise Invalid("SEARCH_REPLICA_ID must be 1-32 of a-z, 0-9, '-' and '_' (it names a NATS consumer)")
        if self.search_replica_snapshot and not (self.search_replica_id and self.search_engine == "tantivy"):
            raise Invalid("SEARCH_REPLICA_SNAPSHOT needs SEARCH_REPLICA_ID and SEARCH_ENGINE=tantivy")
        if self.suggest_min_clients < 1 or self.suggest_window_days < 1:
            raise Invalid("SUGGEST_MIN_CLIENTS and SUGGEST_WINDOW_DAYS must be at least 1")
        if self.search_id_key is not None and len(self.search_id_key) < MIN_ADMIN_TOKEN:
            raise Invalid(f"SEARCH_ID_KEY must be at least {MIN_ADMIN_TOKEN} characters (a random string)")
        if self.search_max_clicks < 1 or self.stream_max_bytes_search < 1:
            raise Invalid("SEARCH_MAX_CLICKS and STREAM_MAX_BYTES_SEARCH must be at least 1")
        if self.home_place is not None:
            from core.textzh.places import places_in

            if not places_in((self.home_place.strip(),)):
                raise Invalid(f"HOME_PLACE must be a city or county of GB/T 2260 (广州, 广州市): {self.home_place!r}")
        if self.weather_provider not in ("none", "demo"):
            raise Invalid(f"WEATHER_PROVIDER must be none or demo, not {self.weather_provider!r}")
        if self.suggest_title_docs < 0:
            raise Invalid("SUGGEST_TITLE_DOCS must be 0 (no document suggestions) or more")

    def with_urls(self, **urls: str) -> Settings:
        return replace(self, **urls)  # type: ignore[arg-type]

    @property
    def effective_broker_url(self) -> str | None:
        return self.broker_url or self.database_url

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if v) + ")"

    def describe(self) -> dict[str, str]:
        """Settings for logs and `yiwang config`: secrets masked whole (repr=False, or a name ending in a secret's
        word: _KEY, _TOKEN, _SECRET, _PASSWORD, _SALT …), and in every other text the password, token or secret of a
        URL or DSN it holds (host and port stay visible)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                out[f.name.upper()] = ""
            elif (not f.repr or secret_name(f.name)) and value:
                out[f.name.upper()] = "****"
            elif f.name.endswith(("_url", "_dsn")) and value:
                out[f.name.upper()] = mask_url(str(value))
            else:
                out[f.name.upper()] = mask_text(str(value)) if isinstance(value, str) else str(value)
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
