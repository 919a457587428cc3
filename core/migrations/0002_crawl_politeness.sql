-- Per-host request slots shared by every crawler process: next_at is the earliest time the next request
-- to the host may start. Granting a slot is one atomic upsert (see scrapers/politeness.py).
create table if not exists crawl_host_slots (
    host text primary key,
    next_at timestamptz not null
);
