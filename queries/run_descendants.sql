-- `pare ui` run page: the next pipeline stages of a run (runs naming it as their parent).
-- Seeks runs_parent.
SELECT id, name, method, status FROM runs WHERE parent_run_id = :run_id ORDER BY id
