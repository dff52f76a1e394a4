-- queries/compare_runs.sql in PostgreSQL's dialect: :ids and :interrupted are jsonb arrays.
SELECT id, name, method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint) THEN 'interrupted' ELSE runs.status END AS status
FROM runs WHERE id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint)
