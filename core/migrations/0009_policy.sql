-- Policy library (文件库): a record per policy document, its 文号, reprint clusters, what explains it.

create table policies (
    document_id     uuid primary key references documents (id) on delete cascade,
    title           text not null,
    names           text[] not null default '{}',   -- the title and the 《…》 names inside it, for mentions
    issuers         text[] not null default '{}',
    written_date    date,
    published_date  date,
    year            integer,                          -- of the 文号, else of the written/published date
    validity_page   text check (validity_page in ('有效', '失效', '废止', '修订')),
    validity_admin  text check (validity_admin in ('有效', '失效', '废止', '修订')),
    expires_on      date,                             -- from “有效期N年” in the text
    audience        text[] not null default '{}',
    theme           text,                             -- 主题分类, gov.cn form: 劳动、人事、监察\劳动就业
    theme_top       text,
    theme_source    text check (theme_source in ('page', 'predicted')),
    simhash         bigint not null,
    band0           integer not null,
    band1           integer not null,
    band2           integer not null,
    band3           integer not null,
    canonical_id    uuid not null,                    -- itself, or the earliest document it is a reprint of
    content_hash    text not null,
    updated_at      timestamptz not null default now()
);
create index policies_band0_idx on policies (band0);
create index policies_band1_idx on policies (band1);
create index policies_band2_idx on policies (band2);
create index policies_band3_idx on policies (band3);
create index policies_canonical_idx on policies (canonical_id);
create index policies_names_idx on policies using gin (names);
create index policies_issuers_idx on policies using gin (issuers);

-- One row per 文号; a jointly issued document has several.
create table policy_doc_nos (
    document_id     uuid not null references policies (document_id) on delete cascade,
    position        integer not null,
    prefix          text not null,
    year            integer,
    number          integer not null,
    normalized      text not null,
    primary key (document_id, normalized)
);
create index policy_doc_nos_norm_idx on policy_doc_nos (normalized);

-- What an explaining page (解读, 回应, 发布会) names: kept whether or not the policy is stored yet.
create table policy_mentions (
    document_id     uuid not null references documents (id) on delete cascade,
    relation        text not null check (relation in ('interpretation', 'response')),
    kind            text not null,                    -- 文字解读 图解 视频解读 新闻发布会 媒体解读 热点回应
    by              text not null check (by in ('doc_no', 'title')),
    value           text not null,
    primary key (document_id, by, value)
);
create index policy_mentions_value_idx on policy_mentions (by, value);

-- Admin decisions; they win over what mentions say.
create table policy_link_overrides (
    policy_id       uuid not null references policies (document_id) on delete cascade,
    document_id     uuid not null references documents (id) on delete cascade,
    action          text not null check (action in ('link', 'unlink')),
    relation        text not null default 'interpretation' check (relation in ('interpretation', 'response')),
    kind            text not null default '文字解读',
    updated_at      timestamptz not null default now(),
    primary key (policy_id, document_id)
);
