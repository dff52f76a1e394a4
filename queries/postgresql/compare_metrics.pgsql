-- queries/compare_metrics.sql in PostgreSQL's dialect: :ids a jsonb array.
SELECT run_id, key, value FROM metrics
WHERE run_id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint) AND step = 0 ORDER BY key
