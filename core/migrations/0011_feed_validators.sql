-- What each feed of a site answered last time (ETag, Last-Modified), so that the next crawl asks
-- conditionally and an unchanged feed costs a 304 instead of the whole feed. Written only after the
-- feed's items were queued and published: a crash in between makes the next crawl read it in full.
create table feed_validators (
    site_id        text not null references sites (id) on delete cascade,
    url            text not null,                   -- the feed as configured (before redirects)
    etag           text,
    last_modified  text,
    checked_at     timestamptz not null default now(),
    primary key (site_id, url)
);
