-- component_state rows are rewritten on every report about their pair; free space in each page
-- lets Postgres update them in place (HOT) without touching the indexes, whose keys never change.
alter table component_state set (fillfactor = 70);
alter table clusters set (fillfactor = 70);
