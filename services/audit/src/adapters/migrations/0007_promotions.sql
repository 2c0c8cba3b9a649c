-- Promotions: what was asked (components, stage, clusters, waves), by whom, the plan the
-- repo-watcher computed with the stage's gates, where it stands, and who approved it. This is the
-- fast answer for the API and the engine; the hash-chained ledger keeps the history of every step.
-- API tokens get an optional email, so a promotion's commit is authored as `Name <email>`.

alter table api_tokens add column email text;

create table promotions (
  id                text primary key,
  kind              text not null check (kind in ('promote', 'rollback')),
  repo              text not null,
  stage             text not null,
  -- [{component, version}]: the versions this promotion moves to.
  components        jsonb not null,
  -- Limits chosen by the requester: named clusters, a label selector, clusters per wave.
  clusters          text[],
  selector          text,
  wave_size         integer check (wave_size is null or wave_size >= 1),
  wave_timeout_s    integer not null check (wave_timeout_s >= 1),
  -- The clusters each wave moves, in order (one entry without waves).
  waves             jsonb not null,
  requester_name    text not null,
  requester_email   text not null,
  reason            text,
  status            text not null check (status in ('requested', 'waiting', 'committing', 'committed', 'rejected', 'halted')),
  -- The plan (with the gates) as the repo-watcher computed it when the promotion was requested.
  plan              jsonb not null,
  -- What it waits for now: [{gate, message}].
  pending           jsonb not null default '[]',
  -- Commits written for it, in order: [{sha, wave, clusters, at}].
  commits           jsonb not null default '[]',
  status_reason     text,
  decided_by        text,
  -- The last failure of asking the repo-watcher, and how many definite refusals so far.
  watcher_error     text,
  watcher_refusals  integer not null default 0,
  created_at        timestamptz not null,
  updated_at        timestamptz not null
);
create index promotions_open on promotions (created_at, id) where status in ('requested', 'waiting', 'committing');
create index promotions_newest on promotions (created_at desc, id desc);
create index promotions_stage on promotions (stage, created_at desc);

create table promotion_approvals (
  promotion_id  text not null references promotions (id),
  approver      text not null,
  approver_role text not null check (approver_role in ('viewer', 'operator', 'admin')),
  comment       text,
  approved_at   timestamptz not null,
  primary key (promotion_id, approver)
);
