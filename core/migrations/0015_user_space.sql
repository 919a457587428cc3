-- The user space (统一用户空间, issue 13): letters to departments and the progress of applications.
-- Users are the identity provider's (identity_users, migration 0014); these tables keep their ids and usernames
-- only, so the user space needs nothing of the identity package's tables. Every list `me` shows reads one
-- index range of one user, whatever the size of the tables.

-- core.letters: 咨询 / 投诉 / 建议 written on a site to a department, and the department's one reply.
create table letters (
    id                 uuid primary key default gen_random_uuid(),
    user_id            uuid not null,
    username           text not null,
    site_id            text not null references sites (id),
    kind               text not null check (kind in ('咨询', '投诉', '建议')),
    department         text not null check (length(department) between 1 and 64),
    subject            text not null check (length(subject) between 1 and 100),
    body               text not null check (length(body) between 1 and 5000),
    consent_to_publish boolean not null default false,
    submitted_at       timestamptz not null,
    due_on             date not null,                -- the last working day a reply is on time
    reply_body         text check (length(reply_body) between 1 and 5000),
    replied_at         timestamptz,
    replier_id         uuid,                         -- null for the break-glass token
    replier_name       text,
    published_url      text,                         -- the document it became, once published with consent
    check ((reply_body is null) = (replied_at is null))
);
create index letters_user_idx on letters (user_id, submitted_at desc, id desc);
create index letters_user_replies_idx on letters (user_id, replied_at desc, id desc) where replied_at is not null;
create index letters_site_idx on letters (site_id, submitted_at);
create index letters_department_open_idx on letters (department, submitted_at) where replied_at is null;

-- core.applications: the newest state of each application (办件) the service platform reported, by its own seq.
create table applications (
    platform        text not null check (length(platform) between 1 and 64),
    application_id  text not null check (length(application_id) between 1 and 128),
    username        text not null,
    service         text not null,
    department      text not null default '',
    site_id         text,
    stage           text not null,
    status          text not null default '',
    note            text not null default '',
    seq             bigint not null,
    occurred_at     timestamptz not null,
    submitted_at    timestamptz not null,          -- the occurred_at of the earliest update seen
    updated_at      timestamptz not null default now(),
    primary key (platform, application_id)
);
create index applications_user_idx on applications (username, occurred_at desc, platform, application_id);

-- core.applications: every step reported (受理 → 审查 → 决定 → 办结), once each, whatever order it arrived in.
create table application_steps (
    platform        text not null,
    application_id  text not null,
    seq             bigint not null,
    stage           text not null,
    status          text not null default '',
    note            text not null default '',
    occurred_at     timestamptz not null,
    primary key (platform, application_id, seq),
    foreign key (platform, application_id) references applications (platform, application_id) on delete cascade
);

-- core.letters for core.monitoring (the interaction rule): when each letter was written, due and answered.
create view letter_deadlines as
    select id, site_id, kind, department, subject, submitted_at, due_on, replied_at, published_url from letters;
