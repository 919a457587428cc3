-- 一网通答 connectors (issue 18, CONNECT): the account's region for personal lookups (公积金 / 医保 / 社保, owner
-- core.identity), and the runs of the 12345 hotline knowledge-base sync (owner core.qa); docs/qa-connectors.md.

-- The administrative division (GB/T 2260, six digits) an account lives or is registered in: where its housing
-- fund and social insurance are kept. Null: not given.
alter table identity_users add column region_code text check (region_code ~ '^[1-9][0-9]{5}$');

-- One row per sync of an external knowledge base into qa_pairs. A run that died stays 'running' until the next
-- run (which holds the connector's advisory lock) marks it 'failed'.
create table qa_sync_runs (
    id           bigint generated always as identity primary key,
    connector    text not null check (connector in ('hotline')),
    source       text not null,                 -- the file or URL read (a URL's password masked)
    trigger      text not null check (trigger in ('schedule', 'cli', 'admin')),
    status       text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
    queued_at    timestamptz not null default now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    seen         integer not null default 0,     -- rows read from the source, malformed ones included
    added        integer not null default 0,
    changed      integer not null default 0,
    retired      integer not null default 0,
    revived      integer not null default 0,     -- retired pairs back in the source
    unchanged    integer not null default 0,
    rejected     integer not null default 0,     -- malformed rows, skipped
    rejections   jsonb not null default '[]'::jsonb,  -- the first 50: [{"row": n, "reason": "…"}]
    error        text not null default ''
);
create index qa_sync_runs_recent_idx on qa_sync_runs (connector, queued_at desc);
