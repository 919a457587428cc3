-- Search analytics: hourly counters per normalised query, site and source, plus the event keys that make
-- the consumer idempotent (a redelivered search or click is recognised and counted once).
create table analytics_hourly (
    bucket            timestamptz not null,            -- start of the UTC hour of the search
    query             text not null,                   -- core.textzh.normalize.fold, whitespace collapsed
    site              text not null default '',        -- '' for searches across all sites
    source            text not null,
    searches          bigint not null default 0,
    zero_results      bigint not null default 0,
    clicks            bigint not null default 0,       -- clicks on results of these searches
    position_sum      bigint not null default 0,       -- sum of the clicked positions (mean = sum / clicks)
    clicked_searches  bigint not null default 0,       -- searches followed by at least one click
    primary key (bucket, query, site, source)
);
create index analytics_hourly_query_idx on analytics_hourly (query, bucket);

-- Every search counted once, by search_id; clicks are attributed to the search's bucket through it.
create table analytics_searches (
    search_id  text primary key,
    bucket     timestamptz not null,
    query      text not null,
    site       text not null,
    source     text not null,
    total      integer not null,
    clicked    boolean not null default false
);
create index analytics_searches_bucket_idx on analytics_searches using brin (bucket);

-- Every click counted once, by its event key; `counted` stays false until its search has arrived.
create table analytics_clicks (
    search_id    text not null,
    document_id  text not null,
    position     integer not null,
    at           timestamptz not null,
    counted      boolean not null default false,
    primary key (search_id, document_id, position)
);
create index analytics_clicks_at_idx on analytics_clicks using brin (at);
