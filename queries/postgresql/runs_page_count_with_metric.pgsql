-- queries/runs_page_count_with_metric.sql in PostgreSQL's dialect (a WHERE needs a boolean).
SELECT count(*)
FROM metrics m
JOIN runs ON runs.id = m.run_id
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
  AND /* where */ true
