-- `pare merge`: the other database's runs mapped to their ids here, for this transaction.
--   copy = 1  the run is new here and is copied under new_id
--   copy = 0  a run with its uid is already here, as new_id (its lineage points there)
-- 'running' runs that are not here yet are absent: they are not copied.
CREATE TEMP TABLE merge_run_map (
    old_id INTEGER PRIMARY KEY,
    new_id INTEGER NOT NULL,
    copy   INTEGER NOT NULL
)
