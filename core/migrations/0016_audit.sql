-- The audit trail (issue 13): every call of a role-guarded field (each admin mutation, each admin query),
-- allowed or refused, with who, what, when and from where, and every role granted or revoked from the CLI
-- (`yiwang roles`, actor 'operator'). Rows are only ever inserted (core.audit).
-- No foreign key to identity_users: a row outlives the account it names, so it keeps the username it had.
create table audit_trail (
    id             bigint generated always as identity primary key,
    at             timestamptz not null default now(),
    actor          text not null check (actor in ('user', 'break-glass', 'anonymous', 'operator')),
    user_id        uuid,                      -- null for break-glass and anonymous callers
    username       text not null default '',  -- as it was then; '' when anonymous; cli:<OS user> for an operator
    operation      text not null,             -- the GraphQL field (crawlSite, auditTrail …) or CLI command (roles grant)
    operation_type text not null check (operation_type in ('mutation', 'query', 'subscription', 'cli')),
    arguments      jsonb not null default '{}'::jsonb,  -- secrets redacted, long strings cut
    site_id        text,                      -- the site argument of a site-scoped call
    role_needed    text not null,             -- admin, editor of <site>, replier for <department>
    outcome        text not null check (outcome in ('allowed', 'refused')),
    reason         text not null default '',  -- why a call was refused
    client         text not null,             -- the client address as the API settled it (proxies considered); 'cli'
    request_id     text
);
create index audit_trail_at_idx on audit_trail (at desc, id desc);
create index audit_trail_username_idx on audit_trail (username, at desc);
create index audit_trail_operation_idx on audit_trail (operation, at desc);
create index audit_trail_refused_idx on audit_trail (at desc) where outcome = 'refused';
