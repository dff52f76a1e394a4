-- `pare merge`: the experiments of the copied runs, by name (one already here is reused).
INSERT INTO main.experiments (name, created_at)
SELECT e.name, e.created_at
FROM merge_source.experiments e
WHERE e.id IN (SELECT r.experiment_id FROM merge_source.runs r
               JOIN temp.merge_run_map m ON m.old_id = r.id AND m.copy = 1)
ORDER BY e.id
ON CONFLICT (name) DO NOTHING
