-- Policy library, issue 18: 专题 collections, each site's 解读与回应 section, and which policy replaces which.

-- A 专题: admins write it; its rule (keywords, theme, issuer) collects policies, picks add or remove by hand.
create table policy_topics (
    id              uuid primary key default gen_random_uuid(),
    slug            text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text not null,
    description     text not null default '',
    cover_text      text not null default '',
    rule_keywords   text[] not null default '{}',   -- any of them in the title
    rule_theme      text,                             -- full 主题分类 label or its top level
    rule_issuer     text,                             -- one of the policy's issuers
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

-- What a topic's rule collects now: replaced per topic when the rule changes, per policy when it changes.
create table policy_topic_matches (
    topic_id        uuid not null references policy_topics (id) on delete cascade,
    policy_id       uuid not null references policies (document_id) on delete cascade,
    primary key (topic_id, policy_id)
);
create index policy_topic_matches_policy_idx on policy_topic_matches (policy_id);

-- The admin's picks: `add` (with its place in the topic's order) or `remove`; they win over the rule.
create table policy_topic_picks (
    topic_id        uuid not null references policy_topics (id) on delete cascade,
    policy_id       uuid not null references policies (document_id) on delete cascade,
    action          text not null check (action in ('add', 'remove')),
    position        integer,
    updated_at      timestamptz not null default now(),
    primary key (topic_id, policy_id)
);

-- Every explaining page (解读, 图解, 视频, 媒体, 发布会, 电视问政, 回应) of a site, whether or not it names a policy.
create table policy_explainers (
    document_id     uuid primary key references documents (id) on delete cascade,
    site_id         text not null,
    kind_auto       text,                             -- from title, URL, column, transcript form
    kind_admin      text,                             -- the admin's word wins
    background      text not null default '',         -- 背景
    keywords        text[] not null default '{}',     -- 关键词
    stated_changes  text not null default '',         -- 新旧对比 as the page writes it
    published_at    date not null,                    -- the page's date, else the day it was first seen
    updated_at      timestamptz not null default now(),
    check (kind_auto is not null or kind_admin is not null)
);
create index policy_explainers_site_idx on policy_explainers (site_id, published_at, document_id);

-- What a policy says it replaces (“《X》（文号）同时废止”, “修订《X》”), by 文号 or name key.
create table policy_replaces (
    policy_id       uuid not null references policies (document_id) on delete cascade,
    by              text not null check (by in ('doc_no', 'title')),
    value           text not null,
    primary key (policy_id, by, value)
);
create index policy_replaces_value_idx on policy_replaces (by, value);
