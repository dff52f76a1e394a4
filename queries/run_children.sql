-- `pare rm`: the next pipeline stages of a run (runs naming it as their parent). Seeks runs_parent.
SELECT id FROM runs WHERE parent_run_id = :id ORDER BY id
