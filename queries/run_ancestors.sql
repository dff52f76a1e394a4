-- `pare ui` run page: the earlier stages of a pipeline run, nearest first (parent, its parent…).
WITH RECURSIVE up(id, depth) AS (
    SELECT parent_run_id, 1 FROM runs WHERE id = :run_id AND parent_run_id IS NOT NULL
    UNION ALL
    SELECT runs.parent_run_id, up.depth + 1 FROM runs JOIN up ON runs.id = up.id
    WHERE runs.parent_run_id IS NOT NULL AND up.depth < 100
)
SELECT runs.id, runs.name, runs.method, runs.status
FROM up JOIN runs ON runs.id = up.id
ORDER BY up.depth
