-- queries/export_runs.sql in PostgreSQL's dialect: the interrupted ids a jsonb array, a boolean not 1.
SELECT runs.id AS run_id, runs.name AS name, runs.method AS method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint) THEN 'interrupted' ELSE runs.status END AS status
FROM runs
WHERE /* where */ TRUE
ORDER BY runs.id
