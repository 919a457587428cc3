-- Grassroots disclosure (基层公开, issue 15): the four-level hierarchy of units (市 / 区县 / 乡镇街道 / 村社区) keyed by
-- 12-digit 统计用区划代码, each unit a site of its level; disclosure items with their revisions; village special-fund
-- projects, their stages and spending; collective resources and assets; and the per-unit roll-ups, kept current
-- in the same transaction as every change (core.disclosure owns all of them).

create table disclosure_units (
    code        text primary key check (code ~ '^[0-9]{12}$'),
    name        text not null check (length(name) between 1 and 100),
    level       text not null check (level in ('市', '区县', '乡镇街道', '村社区')),
    parent_code text references disclosure_units (code),
    site_id     text not null references sites (id),
    created_at  timestamptz not null default now(),
    check ((level = '市') = (parent_code is null))
);
-- children of a unit in code order; a subtree is a range of codes (the unit's first to last code)
create index disclosure_units_parent_idx on disclosure_units (parent_code, code);

create table disclosure_items (
    id            uuid primary key default gen_random_uuid(),
    external_id   text unique check (length(external_id) between 1 and 128),
    unit_code     text not null references disclosure_units (code),
    board         text not null,
    category      text not null,
    period        text not null,            -- 2024-03, 2024Q1 or 2024
    period_start  date not null,
    period_end    date not null,
    dated         date not null,            -- the day the matter is of: inside the period
    title         text not null check (length(title) between 1 and 200),
    body          text not null check (length(body) <= 20000),
    attachments   jsonb not null default '[]'::jsonb,  -- vouchers: [{sha256, name, mediaType, size}]
    revision      integer not null default 1,
    published_at  timestamptz,              -- null: a draft, seen by nobody and counted nowhere
    withdrawn_at  timestamptz,              -- a published item taken down (kept, with its revisions)
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    check (period_start <= dated and dated <= period_end)
);
-- a subtree is a range of codes (between its first and last code, core.disclosure.hierarchy.subtree)
create index disclosure_items_unit_idx on disclosure_items (unit_code, category, period_start desc, id);
-- a unit's page: its published items, the newest period first, without a sort
create index disclosure_items_page_idx on disclosure_items (unit_code, period_start desc, published_at desc, id)
    where published_at is not null and withdrawn_at is null;
create index disclosure_items_published_idx on disclosure_items (published_at desc) where withdrawn_at is null;

-- every revision of an item, the first one included: a published item is never changed without a new row here
create table disclosure_item_revisions (
    item_id     uuid not null references disclosure_items (id) on delete cascade,
    revision    integer not null,
    category    text not null,
    period      text not null,
    dated       date not null,
    title       text not null,
    body        text not null,
    attachments jsonb not null,
    reason      text not null default '',   -- 修改说明 of an edit made after publication
    edited_by   text not null default '',
    edited_at   timestamptz not null default now(),
    primary key (item_id, revision)
);

create table disclosure_funds (
    id           uuid primary key default gen_random_uuid(),
    external_id  text unique check (length(external_id) between 1 and 128),
    unit_code    text not null references disclosure_units (code),
    name         text not null check (length(name) between 1 and 200),
    category     text not null check (length(category) between 1 and 32),
    source       text not null check (source in ('市', '区', '镇')),
    amount       numeric(16, 2) not null check (amount >= 0),
    spent        numeric(16, 2) not null default 0 check (spent >= 0),   -- the sum of its spending, kept with it
    stage        text not null check (stage in ('立项', '公示', '实施', '验收', '结算')),
    year         integer not null check (year between 2000 and 2100),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
create index disclosure_funds_unit_idx on disclosure_funds (unit_code, year desc);

create table disclosure_fund_stages (
    fund_id    uuid not null references disclosure_funds (id) on delete cascade,
    stage      text not null,
    entered_on date not null,
    primary key (fund_id, stage)
);

create table disclosure_spending (
    id           uuid primary key default gen_random_uuid(),
    external_id  text unique check (length(external_id) between 1 and 128),
    fund_id      uuid not null references disclosure_funds (id) on delete cascade,
    amount       numeric(16, 2) not null check (amount > 0),
    spent_on     date not null,
    payee        text not null default '',
    note         text not null default '',
    vouchers     jsonb not null default '[]'::jsonb,
    created_at   timestamptz not null default now()
);
create index disclosure_spending_fund_idx on disclosure_spending (fund_id, spent_on);

-- 农村集体"三资": resources (land, water: an area in 亩) and assets (a value in 元)
create table disclosure_assets (
    id           uuid primary key default gen_random_uuid(),
    external_id  text unique check (length(external_id) between 1 and 128),
    unit_code    text not null references disclosure_units (code),
    kind         text not null check (kind in ('资源', '资产')),
    name         text not null check (length(name) between 1 and 200),
    category     text not null default '',
    area         numeric(16, 2) not null default 0 check (area >= 0),
    value        numeric(16, 2) not null default 0 check (value >= 0),
    updated_at   timestamptz not null default now()
);
create index disclosure_assets_unit_idx on disclosure_assets (unit_code);

-- vouchers uploaded (the bytes live in the blob store under their SHA-256; items and spending cite them)
create table disclosure_vouchers (
    sha256      text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    name        text not null,
    media_type  text not null check (media_type in ('application/pdf', 'image/png', 'image/jpeg')),
    size        bigint not null check (size > 0),
    uploaded_by text not null default '',
    uploaded_at timestamptz not null default now()
);

-- what a unit and everything below it hold, one row per metric (items, items:基层公开/财务, funds:stage:实施 …),
-- changed by the delta of each change in that change's transaction, up the whole ancestor chain
create table disclosure_rollups (
    unit_code text not null references disclosure_units (code),
    metric    text not null,
    count     bigint not null default 0,
    amount    numeric(18, 2) not null default 0,
    spent     numeric(18, 2) not null default 0,
    area      numeric(18, 2) not null default 0,
    value     numeric(18, 2) not null default 0,
    primary key (unit_code, metric)
);

-- for core.monitoring and reports: the newest published item of each unit and category
create view disclosure_latest as
    select unit_code, category, max(published_at) as last_published, max(period_end) as last_period_end
    from disclosure_items where published_at is not null and withdrawn_at is null
    group by unit_code, category;

-- 政府信息依申请公开: a signed-in person asks a unit for information; the unit answers within 20 working days
-- (holiday calendar), extendable once by 20 more with a reason (《政府信息公开条例》第三十三条)
create table disclosure_requests (
    id               uuid primary key default gen_random_uuid(),
    unit_code        text not null references disclosure_units (code),
    user_id          uuid not null,
    username         text not null,
    subject          text not null check (length(subject) between 1 and 100),
    body             text not null check (length(body) between 1 and 5000),
    submitted_at     timestamptz not null,
    due_on           date not null,                  -- the 20th working day after the day it arrived
    extended_due_on  date,                           -- 20 working days more, once
    extension_reason text,
    answer           text,
    answered_at      timestamptz,
    answered_by      text,
    check ((extended_due_on is null) = (extension_reason is null)),
    check ((answer is null) = (answered_at is null))
);
create index disclosure_requests_unit_idx on disclosure_requests (unit_code, submitted_at desc);
create index disclosure_requests_user_idx on disclosure_requests (user_id, submitted_at desc);

-- democratic votes and evaluations (民主评议): one ballot per real-name person, counted per option
create table disclosure_votes (
    id         uuid primary key default gen_random_uuid(),
    unit_code  text not null references disclosure_units (code),
    title      text not null check (length(title) between 1 and 200),
    options    text[] not null check (cardinality(options) between 2 and 20),
    opens_at   timestamptz not null,
    closes_at  timestamptz not null,
    created_by text not null default '',
    check (opens_at < closes_at)
);
create index disclosure_votes_unit_idx on disclosure_votes (unit_code, closes_at desc);

create table disclosure_ballots (
    vote_id  uuid not null references disclosure_votes (id) on delete cascade,
    user_id  uuid not null,
    choice   integer not null,
    cast_at  timestamptz not null,
    primary key (vote_id, user_id)
);
