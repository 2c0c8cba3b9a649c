-- Cluster registration and agent enrollment: who registered which cluster, the one-time
-- bootstrap tokens (hashed), the NATS credentials issued to agents (public keys only), the
-- account's revocation list (kept here so every revocation re-signs all earlier ones), every
-- enrollment attempt (refusals included), and API-token bookkeeping.

create table cluster_registrations (
  cluster          text primary key,
  stage            text not null,
  labels           jsonb not null default '{}',
  cluster_values   jsonb not null default '{}',
  registered_by    text not null,
  registered_at    timestamptz not null,
  revoked_by       text,
  revoked_at       timestamptz,
  revoke_reason    text
);

create table bootstrap_tokens (
  id           text primary key,
  cluster      text not null references cluster_registrations (cluster),
  token_hash   text not null unique,
  created_by   text not null,
  created_at   timestamptz not null,
  expires_at   timestamptz not null,
  used_at      timestamptz,
  used_by_key  text,
  voided_at    timestamptz
);
create index bootstrap_tokens_cluster on bootstrap_tokens (cluster);

-- The public key of every agent credential ever issued; the JWT itself is never stored.
create table agent_credentials (
  public_key  text primary key,
  cluster     text not null references cluster_registrations (cluster),
  token_id    text not null references bootstrap_tokens (id),
  issued_at   timestamptz not null,
  revoked_at  timestamptz
);
create index agent_credentials_cluster on agent_credentials (cluster);

-- The account JWT's revocation list: user public key -> seconds since the epoch. Rows are never
-- deleted, so re-signing the account always carries every earlier revocation.
create table nats_revocations (
  public_key    text primary key,
  revoked_at_s  bigint not null,
  cluster       text,
  recorded_at   timestamptz not null default now()
);

-- Every enrollment attempt and its outcome; refusals are the security-relevant part.
create table enrollment_attempts (
  id              bigserial primary key,
  attempted_at    timestamptz not null,
  outcome         text not null check (outcome in ('enrolled', 'unknown_token', 'used_token', 'expired_token', 'voided_token', 'revoked_cluster')),
  cluster         text,
  token_id        text,
  public_key      text not null,
  remote_address  text
);
create index enrollment_attempts_cluster on enrollment_attempts (cluster, id);

alter table api_tokens
  add column created_by    text,
  add column revoked_by    text,
  add column last_used_at  timestamptz;
