-- queries/runs_page_by_metric.sql in PostgreSQL's dialect (a WHERE needs a boolean, not 1).
SELECT runs.id AS id
FROM metrics m
JOIN runs ON runs.id = m.run_id
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
  AND /* where */ true
ORDER BY m.value /* order */ DESC, m.run_id
LIMIT :limit OFFSET :offset
