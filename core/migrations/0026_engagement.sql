-- Interpretation and response (issue 18, 南宁): 电视问政 programmes with the commitments made on air, and public
-- consultations (意见征集) with moderated comments and a feedback report on adoption. core.engagement owns every
-- table here; core.monitoring reads the view `tv_commitment_deadlines` (rule tv_commitment_overdue).

-- An episode of a TV Q&A programme (电视问政) of a site, with its transcript as aired.
create table tv_episodes (
    id          uuid primary key default gen_random_uuid(),
    site_id     text not null references sites (id),
    programme   text not null check (length(programme) between 1 and 64),
    title       text not null check (length(title) between 1 and 200),
    aired_on    date not null,
    video_url   text check (video_url ~ '^https?://'),
    transcript  text not null check (length(transcript) between 1 and 200000),
    created_by  text not null default '',
    created_at  timestamptz not null default now()
);
create index tv_episodes_site_idx on tv_episodes (site_id, aired_on desc, id);

-- The transcript split into questions and answers, in order.
create table tv_exchanges (
    episode_id  uuid not null references tv_episodes (id) on delete cascade,
    seq         int not null,
    asker       text not null,          -- 主持人 / 市民 / 记者 …
    question    text not null,
    speaker     text,                   -- who answered, as the transcript names them (市交通局局长张三)
    answer      text not null,
    primary key (episode_id, seq)
);

-- A commitment made on air (承诺事项): proposed by the heuristic, confirmed (open) by an editor, done with a reply.
create table tv_commitments (
    id            uuid primary key default gen_random_uuid(),
    episode_id    uuid not null references tv_episodes (id) on delete cascade,
    site_id       text not null references sites (id),
    exchange_seq  int,
    department    text not null check (length(department) between 1 and 64),
    content       text not null check (length(content) between 1 and 1000),
    quote         text not null default '',   -- the sentence of the answer it was proposed from
    due_on        date,                       -- parsed from the answer; required once confirmed
    status        text not null default 'proposed' check (status in ('proposed', 'open', 'done', 'dismissed')),
    reply         text check (length(reply) <= 5000),
    evidence_url  text check (evidence_url ~ '^https?://'),
    confirmed_by  text,
    confirmed_at  timestamptz,
    done_at       timestamptz,
    updated_at    timestamptz not null default now(),
    check (status not in ('open', 'done') or due_on is not null)
);
create index tv_commitments_episode_idx on tv_commitments (episode_id, exchange_seq);
create index tv_commitments_status_idx on tv_commitments (status, due_on, id);
create index tv_commitments_department_idx on tv_commitments (department, status, due_on);
create index tv_commitments_site_open_idx on tv_commitments (site_id, due_on) where status = 'open';

-- core.engagement for core.monitoring (rule tv_commitment_overdue): confirmed commitments with their deadline.
create view tv_commitment_deadlines as
    select c.id, c.site_id, c.department, c.content, c.due_on, c.status, c.done_at, c.episode_id,
           e.title as episode_title, e.programme, e.aired_on
    from tv_commitments c join tv_episodes e on e.id = c.episode_id
    where c.status in ('open', 'done');

-- A draft put out for public comment (意见征集), open from opens_on to closes_on (Beijing dates, inclusive).
create table consultations (
    id                    uuid primary key default gen_random_uuid(),
    site_id               text not null references sites (id),
    title                 text not null check (length(title) between 1 and 200),
    body                  text not null check (length(body) <= 100000),
    attachment_url        text check (attachment_url ~ '^https?://'),
    opens_on              date not null,
    closes_on             date not null,
    created_by            text not null default '',
    created_at            timestamptz not null default now(),
    report_summary        text check (length(report_summary) <= 5000),
    report_published_at   timestamptz,
    check (closes_on >= opens_on)
);
create index consultations_site_idx on consultations (site_id, opens_on desc, id);

-- A signed-in person's comment: public once approved; after closing, the report's decision on it.
create table consultation_comments (
    id                uuid primary key default gen_random_uuid(),
    consultation_id   uuid not null references consultations (id) on delete cascade,
    user_id           uuid not null,
    username          text not null,
    author            text not null,            -- the name shown (masked: 张*)
    body              text not null check (length(body) between 1 and 2000),
    submitted_at      timestamptz not null,
    state             text not null default 'pending' check (state in ('pending', 'approved', 'rejected', 'hidden')),
    moderation_reason text,
    moderated_by      text,
    moderated_at      timestamptz,
    adoption          text check (adoption in ('adopted', 'partly', 'not_adopted')),
    adoption_reason   text,
    feedback_group    int
);
create index consultation_comments_idx on consultation_comments (consultation_id, state, submitted_at, id);
create index consultation_comments_user_idx on consultation_comments (user_id, submitted_at desc);
