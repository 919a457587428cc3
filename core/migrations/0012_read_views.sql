-- Read-only views: what other packages may read of a table they do not own (tests/unit/test_table_owners.py).
-- Each is a plain select of one table, so Postgres inlines it and a query plans as it would on the table.

-- core.documents: documents that are still published (every reader but the document store skips gone ones).
create view live_documents as
    select id, url, site_id, column_id, kind, title, text, published_at, doc_no, doc_no_norm, issuer, metadata,
           attachments, content_hash, version, first_seen, last_seen, last_changed, source, canonical_id
    from documents
    where not gone;

-- core.documents: the links of every stored page.
create view document_links as
    select from_doc, to_url, anchor, kind from links;

-- core.documents: reprint pointers of every document, gone ones included (a copy that goes leaves its cluster).
create view document_canonicals as
    select id, canonical_id from documents;

-- core.sites: the configured sites.
create view site_list as
    select id, name, level, region, department, parent_id, config, schedule_s, enabled from sites;

-- core.sites: the columns (栏目) of each site, with the type found and the admin's override.
create view site_column_list as
    select id, site_id, name, url, column_type, type_override, first_seen, last_seen from site_columns;

-- the crawler (core.crawls, scrapers): crawls that finished well.
create view done_crawls as
    select id, site_id, trigger, queued_at, started_at, finished_at, pages_fetched, pages_changed, errors
    from crawls
    where state = 'done';

-- core.qa: the Q&A pairs in use.
create view active_qa_pairs as
    select id, question, answer, basis_url, basis_title, basis_kind, tags, source, document_id
    from qa_pairs
    where status = 'active';
