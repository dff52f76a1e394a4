-- `pare export`: one row per run, oldest first; export_params.sql and export_metrics.sql are
-- merged in by run id as the rows stream. Interrupted runs (:interrupted) show as such.
SELECT runs.id AS run_id, runs.name AS name, runs.method AS method, CASE WHEN runs.status = 'running' AND runs.id IN (SELECT value FROM json_each(:interrupted)) THEN 'interrupted' ELSE runs.status END AS status
FROM runs
WHERE /* where */ 1
ORDER BY runs.id
