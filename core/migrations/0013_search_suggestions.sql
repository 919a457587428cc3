-- Suggestions are earned, not typed in: a query counts once per client per day (a salted hash of the client's
-- address and the day, never the address), only when it found results and passed the sensitive-word filter;
-- only the last SUGGEST_WINDOW_DAYS days count, and the web office can block one. The old counter took every
-- search of anyone as often as it was sent, so its counts are not carried over.
drop table if exists search_query_counts;

-- Which clients (day-salted hashes) counted a query on a day; rows older than yesterday are pruned.
create table search_query_clients (
    day     date not null,
    query   text not null,                  -- folded, spaces collapsed
    client  text not null,                  -- hex HMAC of the client address, keyed by a secret and the day
    primary key (day, query, client)
);

-- Distinct clients per query and day: a query's weight is the sum over the window.
create table search_query_days (
    query    text not null,
    day      date not null,
    clients  integer not null default 0,
    primary key (query, day)
);
create index search_query_days_day_idx on search_query_days (day);

create table search_suggestion_blocks (
    query       text primary key,           -- folded, spaces collapsed
    blocked_by  text not null default '',
    blocked_at  timestamptz not null default now()
);

-- Clicks recorded per signed search id (recordClick refuses past the cap); rows go once the id has expired.
create table search_click_budget (
    search_id   text primary key,           -- the nonce of the signed id (what events carry)
    clicks      integer not null,
    expires_at  timestamptz not null
);
create index search_click_budget_expires_idx on search_click_budget (expires_at);
