-- The service knowledge graph of 一网通答 (issue 18): services (事项) from the live service guides and what they
-- require, who handles them, where, on what basis, and the library's policies they cite. Owned by core.qa;
-- rebuilt per guide when a guide changes (idempotent: an unchanged guide changes nothing).

create table qa_graph_state (
    id            boolean primary key default true check (id),
    version       bigint not null default 0          -- bumped by every change; readers reload what is newer
);
insert into qa_graph_state (id, version) values (true, 0);

create table qa_graph_nodes (
    id            text primary key check (length(id) between 1 and 200),
    kind          text not null
                  check (kind in ('service', 'department', 'material', 'condition', 'place', 'basis', 'policy')),
    name          text not null check (length(name) between 1 and 1000),
    url           text,
    attrs         jsonb not null default '{}'::jsonb, -- a service's hours, phone, time limit, fee, online platform
    document_id   uuid references documents (id) on delete cascade,   -- the guide of a service, the page of a policy
    content_hash  text                                -- a service's: what decides whether its guide changed
);
create index qa_graph_nodes_kind_idx on qa_graph_nodes (kind);
create index qa_graph_nodes_document_idx on qa_graph_nodes (document_id) where document_id is not null;

create table qa_graph_edges (
    source        text not null references qa_graph_nodes (id) on delete cascade,
    relation      text not null check (relation in ('requires_material', 'handled_by', 'handled_at', 'based_on',
                                                    'has_condition', 'related_policy')),
    target        text not null references qa_graph_nodes (id) on delete cascade,
    position      integer not null,                  -- order in the guide
    primary key (source, relation, target)
);
create index qa_graph_edges_target_idx on qa_graph_edges (target);
