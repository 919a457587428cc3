-- Monitoring (一网通管): thresholds, homepage probes, link checks, wrong expressions, findings, inspections.

-- Thresholds an admin changed; a rule's defaults (the 2019 national indicators) live in its code.
create table monitor_thresholds (
    rule        text not null,
    name        text not null,
    value       double precision not null,
    updated_at  timestamptz not null default now(),
    primary key (rule, name)
);

-- One homepage probe: ok when the page opened within the limit.
create table monitor_probes (
    id          bigint generated always as identity primary key,
    site_id     text not null references sites (id) on delete cascade,
    url         text not null,
    probed_at   timestamptz not null,
    ok          boolean not null,
    status      integer,
    elapsed_ms  integer,
    error       text
);
create index monitor_probes_site_idx on monitor_probes (site_id, probed_at desc);

-- Link checks, cached per URL per day: a URL linked from many pages is checked once a day.
create table link_checks (
    url         text not null,
    day         date not null,
    ok          boolean not null,
    status      integer,
    error       text,
    elapsed_ms  integer,
    checked_at  timestamptz not null,
    primary key (url, day)
);

-- Serious wrong expressions (严重表述错误): wrong form -> right form, edited by admins.
create table wrong_expressions (
    wrong       text primary key check (length(wrong) between 2 and 100),
    right_form  text not null,
    category    text not null default 'term' check (category in ('term', 'leader', 'other')),
    created_at  timestamptz not null default now()
);
insert into wrong_expressions (wrong, right_form, category) values
    ('社会主意核心价值观', '社会主义核心价值观', 'term'),
    ('中国特色社会主意', '中国特色社会主义', 'term'),
    ('不忘出心', '不忘初心', 'term'),
    ('牢记使明', '牢记使命', 'term'),
    ('全面从严制党', '全面从严治党', 'term'),
    ('两学一作', '两学一做', 'term'),
    ('党风廉正建设', '党风廉政建设', 'term'),
    ('人类命运供同体', '人类命运共同体', 'term');

-- A finding: one failed check with its evidence; it closes itself when a later check passes.
create table findings (
    id          uuid primary key default gen_random_uuid(),
    site_id     text not null references sites (id) on delete cascade,
    rule        text not null,
    key         text not null,                 -- what the finding is about, unique per rule while open
    state       text not null default 'open' check (state in ('open', 'closed')),
    summary     text not null,
    url         text,
    column_name text,
    evidence    jsonb not null default '{}'::jsonb,
    first_seen  timestamptz not null,
    last_seen   timestamptz not null,
    closed_at   timestamptz
);
create unique index findings_open_key_idx on findings (site_id, rule, key) where state = 'open';
create index findings_site_idx on findings (site_id, state, rule);

-- One inspection of a site: its scorecard as computed then.
create table inspections (
    id          bigint generated always as identity primary key,
    site_id     text not null references sites (id) on delete cascade,
    inspected_at timestamptz not null,
    score       double precision not null,
    passed      boolean not null,
    scorecard   jsonb not null
);
create index inspections_site_idx on inspections (site_id, inspected_at desc);
