-- The versions a stage ran of a component, newest first: what `driftless rollback` offers and
-- picks from. Without it that question walks the whole ledger backwards by time (10 M rows and
-- more); only desired_changed rows are indexed, so ingest of agent reports does not pay for it.
create index transitions_stage_history on transitions (stage, component, occurred_at desc, seq desc)
  where kind = 'desired_changed';
