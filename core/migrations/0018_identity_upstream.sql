-- Identity federation (issue 13): signing in through an upstream provider (the provincial platform, or a
-- generic OAuth2 one). core.identity owns both tables. Neither holds an ID number: accounts keep only the keyed
-- hash (identity_users.id_number_hash, 0014).

-- Which local account an upstream account signs in as; `provider` is the name in IDENTITY_UPSTREAMS, `subject`
-- the upstream's stable id of the person (`sub`, or the mapped subject claim of an OAuth2 upstream).
create table identity_upstream_links (
    provider       text not null,
    subject        text not null,
    user_id        uuid not null references identity_users (id) on delete cascade,
    linked_at      timestamptz not null default now(),
    last_login_at  timestamptz,
    primary key (provider, subject)
);
create index identity_upstream_links_user_idx on identity_upstream_links (user_id);

-- A sign-in sent to an upstream provider and not yet back: the state (only its hash), the browser that started
-- it (hash of a cookie secret), the nonce and PKCE verifier, and the site's authorization request to resume.
-- Used once: the callback marks it used, so a replayed callback is refused.
create table identity_upstream_logins (
    state_hash     text primary key,
    browser_hash   text not null,
    provider       text not null,
    nonce          text not null,
    code_verifier  text not null,
    params         jsonb not null,
    expires_at     timestamptz not null,
    used_at        timestamptz
);
create index identity_upstream_logins_expires_idx on identity_upstream_logins (expires_at);
