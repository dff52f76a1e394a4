-- queries/compare_params.sql in PostgreSQL's dialect: :ids a jsonb array, the value typed.
SELECT run_id, key, value_integer, value_real, value_text FROM params
WHERE run_id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint) ORDER BY key
