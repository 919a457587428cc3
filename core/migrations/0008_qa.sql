-- Q&A knowledge base (一网通答): question-answer pairs with their basis, a change counter, conversation context.

create table qa_state (
    id            boolean primary key default true check (id),
    version       bigint not null default 0          -- bumped by every change; readers reload what is newer
);
insert into qa_state (id, version) values (true, 0);

create table qa_pairs (
    id            text primary key check (length(id) between 1 and 128),
    question      text not null,
    answer        text not null,
    basis_url     text,
    basis_title   text,
    basis_kind    text not null default 'other'
                  check (basis_kind in ('policy', 'service', 'interpretation', 'faq', 'transcript', 'other')),
    tags          text[] not null default '{}',
    status        text not null default 'active' check (status in ('active', 'retired')),
    source        text not null default 'admin',     -- import, admin, guide, faq, transcript
    version       integer not null default 1,
    content_hash  text not null,
    seq           bigint not null,                   -- qa_state.version of the change that made this row
    document_id   uuid references documents (id) on delete set null,   -- the page it was extracted from
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index qa_pairs_seq_idx on qa_pairs (seq);
create index qa_pairs_document_idx on qa_pairs (document_id) where document_id is not null;

create table qa_sessions (
    id            text primary key check (length(id) between 1 and 128),
    context       jsonb not null default '{}'::jsonb,
    updated_at    timestamptz not null default now()
);
create index qa_sessions_updated_idx on qa_sessions (updated_at);
