-- queries/runs_page_metrics.sql in PostgreSQL's dialect: :ids and :keys are JSON arrays.
SELECT m.run_id, m.key, m.value
FROM metrics m
WHERE m.run_id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint)
  AND m.key IN (SELECT jsonb_array_elements_text(:keys::jsonb))
  AND m.step = 0
