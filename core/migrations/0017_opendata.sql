-- Open data (issue 14, 哈尔滨 政府数据开放平台): a CKAN-compatible catalogue, its datastore and developer keys.
-- Every table here is core.opendata's. Datastore tables live in their own schema `datastore`, one table per
-- tabular resource, named by the resource id; `opendata_datastore` says which exist and their Frictionless schema.

-- Departments (CKAN organizations).
create table opendata_organizations (
    id          uuid primary key default gen_random_uuid(),
    name        text not null unique check (name ~ '^[a-z0-9_-]{2,100}$'),
    title       text not null check (length(title) between 1 and 200),
    description text not null default '',
    image_url   text not null default '',
    created     timestamptz not null default now()
);

-- Domains (CKAN groups): the 14 of OPENDATA_DOMAINS, made on first use.
create table opendata_groups (
    id          uuid primary key default gen_random_uuid(),
    name        text not null unique check (name ~ '^[a-z0-9_-]{2,100}$'),
    title       text not null check (length(title) between 1 and 200),
    description text not null default '',
    created     timestamptz not null default now()
);

create table opendata_datasets (
    id                uuid primary key default gen_random_uuid(),
    name              text not null unique check (name ~ '^[a-z0-9_-]{2,100}$'),
    title             text not null check (length(title) between 1 and 500),
    notes             text not null default '',
    organization_id   uuid not null references opendata_organizations (id),
    group_id          uuid references opendata_groups (id),
    tags              text[] not null default '{}',
    res_formats       text[] not null default '{}',  -- upper-cased formats of its resources, for res_format:
    license_id        text not null default '',
    license_title     text not null default '',
    frequency         text not null default '',      -- declared update frequency: 实时 每日 每周 每月 每季度 每年 不定期
    temporal_start    date,
    temporal_end      date,
    spatial           text not null default '',      -- the place covered, in words
    bbox              double precision[],            -- minx, miny, maxx, maxy (WGS84) when known
    contact_name      text not null default '',
    contact_email     text not null default '',
    contact_phone     text not null default '',
    version           text not null default '',
    private           boolean not null default false,
    state             text not null default 'active' check (state in ('active', 'deleted')),
    source            text not null default 'local',  -- 'local' or the base URL of the harvested portal
    source_id         text,                           -- the dataset's id at that portal
    extras            jsonb not null default '{}',
    metadata_created  timestamptz not null default now(),
    metadata_modified timestamptz not null default now(),
    revision          integer not null default 1,
    search            tsvector not null default ''::tsvector  -- jieba tokens of title, notes, tags (simple config)
);
create index opendata_datasets_search_idx on opendata_datasets using gin (search);
create index opendata_datasets_tags_idx on opendata_datasets using gin (tags);
create index opendata_datasets_formats_idx on opendata_datasets using gin (res_formats);
create index opendata_datasets_org_idx on opendata_datasets (organization_id);
create index opendata_datasets_group_idx on opendata_datasets (group_id);
create index opendata_datasets_modified_idx on opendata_datasets (metadata_modified desc, name);
create unique index opendata_datasets_source_idx on opendata_datasets (source, source_id) where source_id is not null;

create table opendata_resources (
    id             uuid primary key default gen_random_uuid(),
    dataset_id     uuid not null references opendata_datasets (id) on delete cascade,
    position       integer not null default 0,
    name           text not null default '',
    description    text not null default '',
    format         text not null default '',
    url            text not null default '',
    url_type       text not null default '',             -- 'upload' when the file is kept here
    mimetype       text not null default '',
    size           bigint,
    sha256         text,
    last_modified  timestamptz,
    created        timestamptz not null default now(),
    download_count bigint not null default 0
);
create index opendata_resources_dataset_idx on opendata_resources (dataset_id, position);

-- The resources loaded into the datastore: their table and Frictionless table schema.
create table opendata_datastore (
    resource_id uuid primary key references opendata_resources (id) on delete cascade,
    table_name  text not null unique,
    schema      jsonb not null,      -- {"fields": [{"name": ..., "type": ...}]}
    row_count   bigint not null,
    encoding    text not null default '',
    loaded_at   timestamptz not null default now()
);

-- Developer API keys: only the sha256 of a key is kept; usage is counted per key.
create table opendata_api_keys (
    id           uuid primary key default gen_random_uuid(),
    key_hash     text not null unique,
    prefix       text not null,            -- the first characters of the key, to recognise it in lists
    owner        text not null check (length(owner) between 1 and 200),
    is_admin     boolean not null default false,
    rate_per_min integer not null check (rate_per_min > 0),
    calls        bigint not null default 0,
    last_used    timestamptz,
    created      timestamptz not null default now(),
    revoked      boolean not null default false
);

create schema if not exists datastore;

-- 回头看: what the quality review found in each loaded resource (replaced at each load of it).
create table opendata_quality (
    resource_id uuid not null references opendata_resources (id) on delete cascade,
    kind        text not null check (kind in ('missing', 'type', 'duplicate', 'drift')),
    field       text not null default '',      -- the column concerned ('' for the whole table)
    count       bigint not null,               -- cells or rows concerned
    summary     text not null,
    lines       integer[] not null default '{}', -- the first source lines concerned
    found_at    timestamptz not null default now(),
    primary key (resource_id, kind, field)
);

-- core.opendata for core.monitoring (a data-quality rule may read it, as the interaction rule reads
-- letter_deadlines): every finding with its dataset and department, and stale datasets against their declared
-- update frequency.
create view opendata_quality_findings as
    select q.kind, q.field, q.count, q.summary, q.found_at, r.id as resource_id, d.id as dataset_id, d.name as dataset,
           o.name as department, o.title as department_title
    from opendata_quality q join opendata_resources r on r.id = q.resource_id
    join opendata_datasets d on d.id = r.dataset_id join opendata_organizations o on o.id = d.organization_id
    where d.state = 'active';

-- 互动交流: public data requests (数据需求) to a department, with its reply.
create table opendata_requests (
    id           uuid primary key default gen_random_uuid(),
    title        text not null check (length(title) between 1 and 200),
    body         text not null check (length(body) between 1 and 5000),
    organization_id uuid not null references opendata_organizations (id),
    requester    text not null,                      -- the username of who asked
    status       text not null default 'open' check (status in ('open', 'replied', 'fulfilled', 'rejected')),
    reply        text check (length(reply) between 1 and 5000),
    replied_by   text,
    replied_at   timestamptz,
    dataset_id   uuid references opendata_datasets (id),  -- the dataset that fulfils it
    created      timestamptz not null default now()
);
create index opendata_requests_org_idx on opendata_requests (organization_id, created desc);
create index opendata_requests_created_idx on opendata_requests (created desc, id);

-- 应用商城: applications built on the data, with the datasets they use.
create table opendata_apps (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(name) between 1 and 200),
    description text not null default '',
    url         text not null check (url ~* '^https?://'),
    developer   text not null check (length(developer) between 1 and 200),
    created     timestamptz not null default now()
);
create table opendata_app_datasets (
    app_id     uuid not null references opendata_apps (id) on delete cascade,
    dataset_id uuid not null references opendata_datasets (id) on delete cascade,
    primary key (app_id, dataset_id)
);
create index opendata_app_datasets_dataset_idx on opendata_app_datasets (dataset_id);

-- 开发者中心: usage of each dataset per day (package_show views, datastore API calls, downloads and dumps).
create table opendata_usage (
    dataset_id uuid not null references opendata_datasets (id) on delete cascade,
    day        date not null,
    kind       text not null check (kind in ('view', 'api', 'download')),
    calls      bigint not null default 0,
    primary key (dataset_id, day, kind)
);

-- How many catalogue changes have committed: browse facets are cached per value (any change is a new value).
create table opendata_changes (
    only_row boolean primary key default true check (only_row),
    n        bigint not null
);
insert into opendata_changes (n) values (0);
