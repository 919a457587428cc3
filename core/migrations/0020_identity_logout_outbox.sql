-- Identity upkeep (issue 13): back-channel logout delivered durably, and indexes for pruning what has expired.
-- core.identity owns the table.

-- One logout token to deliver to one site (OIDC Back-Channel Logout 1.0): written in the transaction that ends
-- the session, sent at once, and retried with backoff by the scheduler (core.identity.backchannel) until the site
-- answers 2xx or the attempts run out. No foreign key to the session: the delivery outlives a pruned session.
create table identity_logout_outbox (
    id               bigserial primary key,
    session_id       uuid not null,
    user_id          uuid not null,
    client_id        text not null references identity_clients (client_id) on delete cascade,
    uri              text not null,
    attempts         integer not null default 0,
    next_attempt_at  timestamptz not null,   -- also a lease: whoever sends it moves it forward first
    created_at       timestamptz not null,
    delivered_at     timestamptz,
    gave_up_at       timestamptz,
    last_error       text
);
create index identity_logout_outbox_due_idx on identity_logout_outbox (next_attempt_at)
    where delivered_at is null and gave_up_at is null;
create index identity_logout_outbox_done_idx on identity_logout_outbox (coalesce(delivered_at, gave_up_at))
    where delivered_at is not null or gave_up_at is not null;

-- session_store.prune deletes sessions once ended or expired (least() skips a null ended_at), and with them their
-- codes and refresh tokens (on delete cascade); refresh tokens that expired within a live session go on their own.
create index identity_sessions_over_idx on identity_sessions (least(ended_at, expires_at));
create index identity_refresh_expires_idx on identity_refresh_tokens (expires_at);
create index identity_revoked_expires_idx on identity_revoked_tokens (expires_at);
