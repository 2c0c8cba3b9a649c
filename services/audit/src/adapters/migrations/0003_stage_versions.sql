-- How many clusters of each stage want (desired) and run (applied) each version of a component:
-- what the inventory's skew flags read, so they never aggregate the whole fleet per request.
-- Maintained by statement-level triggers from component_state's own changes (set-based, one
-- statement per write), so it is derived exactly like component_state is derived from the ledger.
create table stage_versions (
  stage     text not null,
  component text not null,
  kind      text not null check (kind in ('desired', 'applied')),
  version   text not null,
  clusters  integer not null,
  primary key (stage, component, kind, version)
);

-- One body for all three triggers: old rows count -1, new rows +1 (a missing transition table is
-- replaced by an empty one of the same shape).
create function stage_versions_apply(delta jsonb) returns void language sql as $$
  insert into stage_versions (stage, component, kind, version, clusters)
  select d.stage, d.component, d.kind, d.version, sum(d.sign)
  from jsonb_to_recordset(delta) as d(stage text, component text, kind text, version text, sign integer)
  group by 1, 2, 3, 4
  having sum(d.sign) <> 0
  on conflict (stage, component, kind, version) do update set clusters = stage_versions.clusters + excluded.clusters
$$;

create function stage_versions_on_insert() returns trigger language plpgsql as $$
begin
  perform stage_versions_apply((
    select coalesce(jsonb_agg(d), '[]') from (
      select stage, component, 'desired' as kind, desired_version as version, 1 as sign from new_rows
        where stage is not null and desired_version is not null and not is_removed
      union all
      select stage, component, 'applied', applied_version, 1 from new_rows
        where stage is not null and applied_version is not null and not is_removed
    ) d));
  return null;
end $$;

create function stage_versions_on_update() returns trigger language plpgsql as $$
begin
  perform stage_versions_apply((
    select coalesce(jsonb_agg(d), '[]') from (
      select stage, component, 'desired' as kind, desired_version as version, 1 as sign from new_rows
        where stage is not null and desired_version is not null and not is_removed
      union all
      select stage, component, 'applied', applied_version, 1 from new_rows
        where stage is not null and applied_version is not null and not is_removed
      union all
      select stage, component, 'desired', desired_version, -1 from old_rows
        where stage is not null and desired_version is not null and not is_removed
      union all
      select stage, component, 'applied', applied_version, -1 from old_rows
        where stage is not null and applied_version is not null and not is_removed
    ) d));
  return null;
end $$;

create function stage_versions_on_delete() returns trigger language plpgsql as $$
begin
  perform stage_versions_apply((
    select coalesce(jsonb_agg(d), '[]') from (
      select stage, component, 'desired' as kind, desired_version as version, -1 as sign from old_rows
        where stage is not null and desired_version is not null and not is_removed
      union all
      select stage, component, 'applied', applied_version, -1 from old_rows
        where stage is not null and applied_version is not null and not is_removed
    ) d));
  return null;
end $$;

create trigger component_state_versions_insert after insert on component_state
  referencing new table as new_rows for each statement execute function stage_versions_on_insert();
create trigger component_state_versions_update after update on component_state
  referencing old table as old_rows new table as new_rows for each statement execute function stage_versions_on_update();
create trigger component_state_versions_delete after delete on component_state
  referencing old table as old_rows for each statement execute function stage_versions_on_delete();

-- Rows that existed before this migration.
insert into stage_versions (stage, component, kind, version, clusters)
select stage, component, kind, version, count(*) from (
  select stage, component, 'desired' as kind, desired_version as version from component_state
    where stage is not null and desired_version is not null and not is_removed
  union all
  select stage, component, 'applied', applied_version from component_state
    where stage is not null and applied_version is not null and not is_removed
) d group by 1, 2, 3, 4;
