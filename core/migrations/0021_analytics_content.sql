-- Analytics of content and audience (一网通管, issue 18): hot words of newly published documents, page views
-- from the beacon and from search clicks, and daily visitors by province. Owner: core.analytics.
-- Days are Beijing calendar dates. No address, user agent or raw visitor id is stored anywhere.

-- The salient terms of each recent document (its day: published_at, else the day it was first seen), kept so
-- a changed or gone document takes back exactly what it added; documents older than the horizon are pruned.
create table analytics_doc_terms (
    document_id  uuid primary key,
    site_id      text not null,
    day          date not null,
    terms        text[] not null
);
create index analytics_doc_terms_site_day_idx on analytics_doc_terms (site_id, day);
create index analytics_doc_terms_terms_idx on analytics_doc_terms using gin (terms);

-- Documents per (site, day, term): what hot words are computed from.
create table analytics_term_days (
    site_id    text not null,
    day        date not null,
    term       text not null,
    documents  integer not null,
    primary key (site_id, day, term)
);
create index analytics_term_days_day_idx on analytics_term_days (day);

-- Documents counted per (site, day): the denominator that tells boilerplate (a term on most pages of a site).
create table analytics_site_days (
    site_id    text not null,
    day        date not null,
    documents  integer not null,
    primary key (site_id, day)
);

-- The salt of the day's visitor hashes; only today's is kept (yesterday's hashes can no longer be made).
create table analytics_salts (
    day   date primary key,
    salt  bytea not null
);

-- Views per document and day: beacon views (at most a few per visitor and day) and search-result clicks.
create table analytics_page_days (
    day          date not null,
    document_id  uuid not null,
    site_id      text not null,
    views        bigint not null default 0,
    visitors     bigint not null default 0,
    clicks       bigint not null default 0,   -- of the views: clicks on search results
    primary key (day, document_id)
);
create index analytics_page_days_site_idx on analytics_page_days (site_id, day);

-- One row per (day, visitor hash, document): makes the counting idempotent per client and day; pruned daily.
create table analytics_view_keys (
    day          date not null,
    visitor      text not null,
    document_id  uuid not null,
    views        smallint not null,
    primary key (day, visitor, document_id)
);

-- One row per (day, site, visitor hash), site '' for any site: a visitor counted once a day; pruned daily.
create table analytics_visitor_keys (
    day      date not null,
    site_id  text not null,
    visitor  text not null,
    primary key (day, site_id, visitor)
);

-- Distinct visitors per day, site ('' = any site) and province ('' = unknown): all that stays of the audience.
create table analytics_audience (
    day       date not null,
    site_id   text not null,
    province  text not null,
    visitors  bigint not null,
    primary key (day, site_id, province)
);
