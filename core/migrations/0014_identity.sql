-- Identity (issue 13): accounts (个人 / 法人), roles, the OpenID Connect provider's clients, sessions,
-- authorization codes, refresh tokens, signing keys and login throttling. core.identity owns every table;
-- other packages read the view identity_people. No raw ID number is ever stored: id_number_hash is a keyed
-- HMAC (IDENTITY_SECRET, else a secret generated once into identity_secrets).
create table identity_users (
    id               uuid primary key default gen_random_uuid(),
    username         text not null unique,
    name             text not null,
    kind             text not null default 'person' check (kind in ('person', 'legal')),
    real_name_level  smallint not null default 0 check (real_name_level between 0 and 3),
    password_hash    text,                      -- argon2id; null: no local password (upstream accounts)
    totp_secret      text,                      -- base32 (pyotp); null: no second factor
    id_number_hash   text unique,               -- hex HMAC-SHA256 of the ID number, never the number
    credit_code      text unique,               -- 统一社会信用代码 of a legal person
    upstream         text,                      -- issuer|subject of a linked upstream account
    disabled         boolean not null default false,
    created_at       timestamptz not null default now(),
    check (kind = 'legal' or credit_code is null)
);
create unique index identity_users_upstream_idx on identity_users (upstream) where upstream is not null;

-- The agents (natural persons) acting for a legal person.
create table identity_agents (
    legal_id    uuid not null references identity_users (id) on delete cascade,
    agent_id    uuid not null references identity_users (id) on delete cascade,
    added_at    timestamptz not null default now(),
    primary key (legal_id, agent_id)
);

create table identity_roles (
    user_id     uuid not null references identity_users (id) on delete cascade,
    role        text not null check (role in ('admin', 'editor', 'replier')),
    site_id     text,
    department  text,
    granted_by  text,
    granted_at  timestamptz not null default now()
);
create unique index identity_roles_unique_idx
    on identity_roles (user_id, role, coalesce(site_id, ''), coalesce(department, ''));

create table identity_clients (
    client_id                   text primary key,
    secret_hash                 text,           -- hex SHA-256 of a 256-bit random secret; null: public client
    site_id                     text,
    redirect_uris               text[] not null,
    post_logout_redirect_uris   text[] not null default '{}',
    backchannel_logout_uri      text,
    id_token_alg                text not null default 'RS256' check (id_token_alg in ('RS256', 'ES256')),
    created_at                  timestamptz not null default now()
);

-- A browser's sign-in: the cookie carries a secret whose hash is stored; `id` is the `sid` of tokens.
create table identity_sessions (
    id           uuid primary key default gen_random_uuid(),
    cookie_hash  text not null unique,
    user_id      uuid not null references identity_users (id) on delete cascade,
    auth_time    timestamptz not null,
    amr          text[] not null default '{}',
    expires_at   timestamptz not null,
    ended_at     timestamptz
);
create index identity_sessions_user_idx on identity_sessions (user_id);

-- The clients that received tokens in a session: back-channel logout notifies each.
create table identity_session_clients (
    session_id  uuid not null references identity_sessions (id) on delete cascade,
    client_id   text not null references identity_clients (client_id) on delete cascade,
    primary key (session_id, client_id)
);

create table identity_codes (
    code_hash       text primary key,
    client_id       text not null,
    session_id      uuid not null references identity_sessions (id) on delete cascade,
    redirect_uri    text not null,
    scopes          text[] not null,
    nonce           text,
    code_challenge  text,
    expires_at      timestamptz not null,
    used_at         timestamptz
);
create index identity_codes_expires_idx on identity_codes (expires_at);

-- Refresh tokens rotate at each use; a family is every token descended from one code. A used token presented
-- again revokes its whole family.
create table identity_refresh_tokens (
    token_hash  text primary key,
    family      uuid not null,
    code_hash   text,
    client_id   text not null,
    session_id  uuid not null references identity_sessions (id) on delete cascade,
    scopes      text[] not null,
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz
);
create index identity_refresh_family_idx on identity_refresh_tokens (family);
create index identity_refresh_session_idx on identity_refresh_tokens (session_id);
create index identity_refresh_code_idx on identity_refresh_tokens (code_hash);

-- Access tokens revoked before their expiry (RFC 7009); rows go once the token would have expired.
create table identity_revoked_tokens (
    jti         text primary key,
    expires_at  timestamptz not null
);

-- Signing keys: the newest of each algorithm signs; a retired key is served (JWKS) and accepted until
-- `served_until`, when every token it signed has expired.
create table identity_keys (
    kid           text primary key,
    alg           text not null check (alg in ('RS256', 'ES256')),
    private_jwk   text not null,
    created_at    timestamptz not null default now(),
    retired_at    timestamptz,
    served_until  timestamptz
);

-- Failed sign-ins per account ('user:<name>') and per address ('addr:<ip>'); shared by every API replica.
create table identity_login_failures (
    key           text primary key,
    failures      integer not null default 0,
    window_start  timestamptz not null,
    locked_until  timestamptz
);

create table identity_secrets (
    name        text primary key,
    value       text not null,
    created_at  timestamptz not null default now()
);

create view identity_people as
    select id, username, name, kind, real_name_level from identity_users;
