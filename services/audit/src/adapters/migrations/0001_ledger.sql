-- The audit model: dimension tables (clusters, components, apps, commits), the append-only,
-- hash-chained `transitions` ledger, the derived `component_state`, dead letters and API tokens.

create table clusters (
  name              text primary key,
  stage             text,
  labels            jsonb not null default '{}',
  registered_at     timestamptz,
  revoked_at        timestamptz,
  last_heartbeat_at timestamptz,
  agent_version     text,
  first_seen_at     timestamptz not null
);

create table components (
  name          text primary key,
  first_seen_at timestamptz not null
);

create table apps (
  name          text primary key,
  first_seen_at timestamptz not null
);

create table commits (
  sha             text primary key,
  repo            text not null,
  author_name     text not null,
  author_email    text not null,
  committer_name  text not null,
  committer_email text not null,
  message         text not null,
  committed_at    timestamptz not null,
  first_seen_at   timestamptz not null
);

-- One row per recorded event, in the single order of the chain (`seq` 1, 2, 3, … without gaps).
create table transitions (
  seq          bigint primary key,
  event_id     text not null unique,
  kind         text not null check (kind in (
                 'desired_changed', 'desired_removed', 'render_failed', 'repo_rewritten',
                 'applied', 'apply_failed', 'drift_detected', 'drift_corrected', 'health_changed', 'prune_blocked',
                 'cluster_registered', 'cluster_revoked',
                 'promotion_requested', 'promotion_approved', 'promotion_committed', 'promotion_rejected')),
  occurred_at  timestamptz not null,
  recorded_at  timestamptz not null,
  cluster      text,
  component    text,
  stage        text,
  repo         text,
  apps         text[],
  from_version text,
  to_version   text,
  from_hash    text,
  to_hash      text,
  commit_sha   text,
  actor        text,
  trace_id     text,
  source       text not null,
  subject      text not null,
  detail       jsonb not null,
  prev_hash    text not null,
  hash         text not null
);

-- The query targets: one (cluster, component) newest first; everything newest first; by commit; by actor.
create index transitions_cluster_component_time on transitions (cluster, component, occurred_at desc, seq desc);
create index transitions_time on transitions (occurred_at desc, seq desc);
create index transitions_commit on transitions (commit_sha) where commit_sha is not null;
create index transitions_actor_time on transitions (actor, occurred_at desc, seq desc) where actor is not null;

-- Append-only: the service never updates or deletes a ledger row, and neither may anyone else
-- through a normal session. (A superuser can bypass triggers; the hash chain is what catches that.)
create function transitions_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'transitions is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger transitions_append_only before update or delete on transitions
  for each row execute function transitions_refuse_change();
create trigger transitions_no_truncate before truncate on transitions
  for each statement execute function transitions_refuse_change();

-- Current state per (cluster, component): derived from the ledger, maintained in the same
-- transaction as the rows it folds, and rebuildable from the ledger at any time.
create table component_state (
  cluster            text not null,
  component          text not null,
  stage              text,
  apps               text[] not null default '{}',
  repo               text,
  placement_at       timestamptz,
  placement_seq      bigint,
  desired_version    text,
  desired_hash       text,
  desired_commit     text,
  is_removed         boolean not null default false,
  desired_at         timestamptz,
  desired_seq        bigint,
  applied_version    text,
  applied_hash       text,
  applied_commit     text,
  applied_at         timestamptz,
  applied_seq        bigint,
  health             text,
  health_at          timestamptz,
  health_seq         bigint,
  drift              text,
  drift_fields       text[] not null default '{}',
  drift_manager      text,
  drift_at           timestamptz,
  drift_seq          bigint,
  problem_kind       text,
  problem_reason     text,
  problem_at         timestamptz,
  problem_seq        bigint,
  last_seq           bigint not null,
  primary key (cluster, component)
);
create index component_state_component on component_state (component);
create index component_state_stage_component on component_state (stage, component);

create table dead_letters (
  id          bigserial primary key,
  dedup_key   text not null unique,
  event_id    text,
  subject     text not null,
  stream_seq  bigint,
  reason      text not null,
  payload     bytea not null,
  received_at timestamptz not null default now()
);

create table api_tokens (
  id          text primary key,
  name        text not null,
  role        text not null check (role in ('viewer', 'operator', 'admin')),
  token_hash  text not null unique,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);
