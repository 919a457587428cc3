-- Per-URL crawl state: the frontier of running crawls and the memory that makes recrawls incremental.
create table crawl_urls (
    site_id        text not null references sites (id) on delete cascade,
    url            text not null,
    depth          integer not null default 0,
    state          text not null default 'pending' check (state in ('pending', 'done', 'failed', 'gone')),
    crawl_id       bigint,                      -- the crawl that should fetch it while pending
    kind           text,                        -- what extraction said last time (column pages recheck often)
    status         integer,
    etag           text,
    last_modified  text,
    content_hash   text,
    fail_count     integer not null default 0,
    not_found      integer not null default 0,  -- consecutive 404/410: two make the page gone
    reason         text,
    discovered_at  timestamptz not null default now(),
    fetched_at     timestamptz,
    next_check_at  timestamptz not null default now(),
    primary key (site_id, url)
);
create index crawl_urls_pending_idx on crawl_urls (crawl_id, depth) where state = 'pending';
create index crawl_urls_due_idx on crawl_urls (site_id, next_check_at);
