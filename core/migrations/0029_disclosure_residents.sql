-- Grassroots disclosure for residents (issue 15): subscriptions of signed-in users to a unit (and below it) or
-- to one board of a unit; the outbox of item changes still to announce (written in the change's transaction,
-- removed once published to NATS, re-sent by `yiwang disclosure outbox` after a crash); the notifications fanned
-- out to subscribers (one per user and item revision, whatever is redelivered) and their delivery through the
-- Notifier; a unit's service directory and hotlines (便民服务, 沟通互动). core.disclosure owns all of them.

create table disclosure_subscriptions (
    user_id    uuid not null,
    unit_code  text not null references disclosure_units (code),
    board      text not null default '',          -- '' every board; else one of the six boards
    created_at timestamptz not null default now(),
    primary key (user_id, unit_code, board)
);
-- who to notify of an item: the subscribers of any unit of its chain
create index disclosure_subscriptions_unit_idx on disclosure_subscriptions (unit_code, board, user_id);

create table disclosure_outbox (
    item_id    uuid not null references disclosure_items (id) on delete cascade,
    revision   integer not null,
    change     text not null check (change in ('published', 'revised', 'withdrawn')),
    unit_code  text not null,
    category   text not null,
    created_at timestamptz not null,
    primary key (item_id, revision, change)
);
create index disclosure_outbox_created_idx on disclosure_outbox (created_at);

create table disclosure_notifications (
    id           bigserial primary key,
    user_id      uuid not null,
    item_id      uuid not null references disclosure_items (id) on delete cascade,
    revision     integer not null,
    change       text not null check (change in ('published', 'revised')),
    unit_code    text not null,
    board        text not null,
    category     text not null,
    title        text not null,
    created_at   timestamptz not null,
    delivered_at timestamptz,                     -- the Notifier took it
    channel      text,                            -- which Notifier (inbox, sms, wechat …)
    attempts     integer not null default 0,
    last_error   text,
    unique (user_id, item_id, revision)          -- a revision notifies each subscriber once
);
create index disclosure_notifications_user_idx on disclosure_notifications (user_id, id desc);
create index disclosure_notifications_pending_idx on disclosure_notifications (id) where delivered_at is null;

-- 便民服务 (services with hours, phone, address) and hotlines of a unit
create table disclosure_services (
    id         uuid primary key default gen_random_uuid(),
    unit_code  text not null references disclosure_units (code),
    kind       text not null check (kind in ('服务', '热线')),
    name       text not null check (length(name) between 1 and 100),
    category   text not null default '' check (length(category) <= 32),
    hours      text not null default '' check (length(hours) <= 100),
    phone      text not null default '' check (length(phone) <= 32),
    address    text not null default '' check (length(address) <= 200),
    note       text not null default '' check (length(note) <= 1000),
    updated_at timestamptz not null default now(),
    unique (unit_code, kind, name)
);

-- items(below: true) of a wide subtree (a 市, a 区县): its newest published items read in order, without sorting
-- the whole subtree (the planner keeps the (unit_code, …) index for narrow subtrees); the count is the roll-up's
create index disclosure_items_recent_idx on disclosure_items (period_start desc, published_at desc, id)
    where published_at is not null and withdrawn_at is null;
