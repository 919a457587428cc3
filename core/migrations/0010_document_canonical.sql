-- Reprint clusters on the document itself, so a capability (the search projection) can read them without
-- knowing the feature that finds them: null or the document's own id means it is canonical.

alter table documents add column canonical_id uuid null references documents (id) on delete set null;
create index documents_canonical_idx on documents (canonical_id) where canonical_id is not null;

-- Documents whose projections must be redone because something other than their own row changed (a copy
-- joined or left their cluster). Written in the transaction that made the change, published as
-- DocumentChanged after commit and deleted then: a crash in between leaves the row for the next drain.
create table document_reprojections (
    document_id   uuid primary key references documents (id) on delete cascade,
    token         text not null,                   -- part of the event key: a new request is never deduplicated
    queued_at     timestamptz not null default now()
);
