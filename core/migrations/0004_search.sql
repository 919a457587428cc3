-- Search administration: pinned results, admin-edited synonyms and query popularity for suggestions.
create table search_pins (
    query_norm   text not null,               -- the query as matched: folded, spaces collapsed
    document_id  text not null,
    until        timestamptz,                 -- null: until removed
    created_by   text not null default '',
    created_at   timestamptz not null default now(),
    primary key (query_norm, document_id)
);

-- Rows override the bundled table (core/textzh/data/synonyms.txt): removed = true hides a bundled rewrite.
create table search_synonyms (
    colloquial   text not null,
    official     text not null,
    removed      boolean not null default false,
    created_by   text not null default '',
    updated_at   timestamptz not null default now(),
    primary key (colloquial, official)
);

create table search_query_counts (
    query        text primary key,            -- folded, spaces collapsed
    count        bigint not null default 0,
    last_at      timestamptz not null default now()
);
create index search_query_counts_count_idx on search_query_counts (count desc);
