-- Sites, columns (栏目), documents, crawl log and job bookkeeping: the truth the search index projects.

create table sites (
    id            text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name          text not null,
    level         text not null check (level in ('国家', '省', '市', '区县', '部门', '乡镇街道', '村社区')),
    region        text,
    department    text,
    parent_id     text references sites (id) on delete set null,
    config        jsonb not null default '{}'::jsonb,   -- start_urls, allowed_hosts, exclude, feeds, limits
    schedule_s    integer not null default 3600 check (schedule_s >= 10),
    enabled       boolean not null default true,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

create table site_columns (
    id            bigint generated always as identity primary key,
    site_id       text not null references sites (id) on delete cascade,
    name          text not null,
    url           text,
    column_type   text,             -- news, notice, policy, interpretation, service, interaction, other
    type_override text,             -- set by an admin; wins over column_type
    first_seen    timestamptz not null default now(),
    last_seen     timestamptz not null default now(),
    unique (site_id, name)
);

create table documents (
    id            uuid primary key default gen_random_uuid(),
    url           text not null unique,
    site_id       text not null references sites (id) on delete cascade,
    column_id     bigint references site_columns (id) on delete set null,
    kind          text not null default 'page',
    title         text not null default '',
    text          text not null default '',
    published_at  date,
    doc_no        text,
    doc_no_norm   text,
    issuer        text,
    metadata      jsonb not null default '{}'::jsonb,
    attachments   jsonb not null default '[]'::jsonb,
    content_hash  text not null,
    version       integer not null default 1,
    fetched_at    timestamptz not null default now(),  -- time of the fetch applied: older events never win
    last_event    text,                                 -- key of the event that made this version
    first_seen    timestamptz not null default now(),
    last_seen     timestamptz not null default now(),
    last_changed  timestamptz not null default now(),
    gone          boolean not null default false,
    gone_at       timestamptz,
    source        text not null default 'crawl'     -- crawl, feed, import, dataset
);
create index documents_site_idx on documents (site_id) where not gone;
create index documents_site_kind_idx on documents (site_id, kind) where not gone;
create index documents_column_idx on documents (column_id);
create index documents_published_idx on documents (published_at desc);
create index documents_doc_no_idx on documents (doc_no_norm) where doc_no_norm is not null;
create index documents_changed_idx on documents (last_changed desc);

create table links (
    from_doc      uuid not null references documents (id) on delete cascade,
    to_url        text not null,
    anchor        text not null default '',
    kind          text not null default 'link',     -- link, image, attachment
    primary key (from_doc, to_url)
);
create index links_to_url_idx on links (to_url);

create table crawls (
    id            bigint generated always as identity primary key,
    site_id       text not null references sites (id) on delete cascade,
    trigger       text not null default 'schedule', -- schedule, manual, up
    state         text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
    queued_at     timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    pages_fetched integer not null default 0,
    pages_changed integer not null default 0,
    errors        integer not null default 0,
    queued        integer not null default 0,         -- URLs waiting in the frontier at the last update
    heartbeat_at  timestamptz,
    message       text
);
create index crawls_site_idx on crawls (site_id, queued_at desc);

create table fetch_log (
    id            bigint generated always as identity primary key,
    crawl_id      bigint references crawls (id) on delete cascade,
    site_id       text not null,
    url           text not null,
    status        integer,
    reason        text,             -- null when fine; timeout, too_large, redirect_loop, robots_disallow ...
    elapsed_ms    integer,
    bytes         integer,
    fetched_at    timestamptz not null default now()
);
create index fetch_log_crawl_idx on fetch_log (crawl_id);
create index fetch_log_url_idx on fetch_log (url, fetched_at desc);

-- Bookkeeping of scheduled jobs (dramatiq carries the messages; this records what ran and when).
create table job_runs (
    id            bigint generated always as identity primary key,
    actor         text not null,
    key           text not null,     -- e.g. the site id
    message_id    text,
    state         text not null default 'enqueued' check (state in ('enqueued', 'running', 'done', 'failed')),
    enqueued_at   timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text
);
create index job_runs_key_idx on job_runs (actor, key, enqueued_at desc);
