-- `pare export`: one row per run, oldest first; export_params.sql and export_metrics.sql are
-- merged in by run id as the rows stream.
SELECT runs.id AS run_id, runs.name AS name, runs.method AS method, runs.status AS status
FROM runs
WHERE /* where */ 1
ORDER BY runs.id
