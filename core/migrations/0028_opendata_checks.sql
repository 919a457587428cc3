-- Open data (issue 14), second part: checks of linked resources' download links, stale datasets for monitoring,
-- and per-key rate-limit windows shared by every API process. Every table here is core.opendata's.

-- The last check of each linked (not uploaded) resource's URL: a worker HEADs/GETs it (workers/opendata_links.py,
-- through the outbound guard) and core.opendata.links records what it found. A check of an older URL is ignored.
create table opendata_link_checks (
    resource_id  uuid primary key references opendata_resources (id) on delete cascade,
    url          text not null,
    ok           boolean not null,
    status       integer,
    error        text,                      -- `code: detail`, or `HTTP 404` (the detail is for admins only)
    failure      text,                      -- the class of the failure, safe to show anyone (HTTP 404, DNS, timeout …)
    elapsed_ms   integer,
    failures     integer not null default 0, -- consecutive failed checks of this URL
    first_failed timestamptz,               -- when the current run of failures began
    checked_at   timestamptz not null
);
create index opendata_link_checks_checked_idx on opendata_link_checks (checked_at);

-- How long a dataset may go unchanged for its declared update frequency (the one definition of it): 实时 1 day …
-- 每年 366 days; 不定期 and no frequency are never stale.
create table opendata_frequencies (
    frequency text primary key,
    max_days  integer not null check (max_days > 0)
);
insert into opendata_frequencies (frequency, max_days) values
    ('实时', 1), ('每日', 2), ('每周', 8), ('每月', 32), ('每季度', 93), ('每半年', 184), ('每年', 366);

-- core.opendata for core.monitoring: each active dataset with a declared frequency, when it last changed (its
-- metadata or a resource) and how many days it may go unchanged. The reader compares with its own clock.
create view opendata_dataset_freshness as
    select d.id as dataset_id, d.name as dataset, o.name as department, o.title as department_title, d.frequency,
           f.max_days, greatest(d.metadata_modified, max(r.last_modified)) as updated
    from opendata_datasets d join opendata_frequencies f on f.frequency = d.frequency
    join opendata_organizations o on o.id = d.organization_id
    left join opendata_resources r on r.dataset_id = d.id
    where d.state = 'active'
    group by d.id, o.name, o.title, f.max_days;

-- The 回头看 findings now include broken download links: a linked resource whose last check of its current URL
-- failed (count: consecutive failed checks; summary: the class of failure, never the detail).
create or replace view opendata_quality_findings as
    select q.kind, q.field, q.count, q.summary, q.found_at, r.id as resource_id, d.id as dataset_id, d.name as dataset,
           o.name as department, o.title as department_title
    from opendata_quality q join opendata_resources r on r.id = q.resource_id
    join opendata_datasets d on d.id = r.dataset_id join opendata_organizations o on o.id = d.organization_id
    where d.state = 'active'
    union all
    select 'link', '', c.failures::bigint,
           '下载链接失效（' || coalesce(c.failure, 'HTTP ' || c.status::text, '未知原因') || '）',
           c.first_failed, r.id, d.id, d.name, o.name, o.title
    from opendata_link_checks c join opendata_resources r on r.id = c.resource_id and r.url = c.url
    join opendata_datasets d on d.id = r.dataset_id join opendata_organizations o on o.id = d.organization_id
    where d.state = 'active' and not c.ok and r.url_type <> 'upload';

-- Per-key rate limits across API processes: a sliding window of two one-minute counters kept on the key's row,
-- updated by the same statement that counts the call (core.opendata.keys).
alter table opendata_api_keys
    add column window_start timestamptz,
    add column window_calls integer not null default 0,
    add column prev_calls   integer not null default 0;
