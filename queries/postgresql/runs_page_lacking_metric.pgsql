-- queries/runs_page_lacking_metric.sql in PostgreSQL's dialect (a WHERE needs a boolean).
SELECT runs.id AS id
FROM runs
WHERE NOT EXISTS (SELECT 1 FROM metrics x
                  WHERE x.run_id = runs.id AND x.key = :metric AND x.step = 0 AND x.value IS NOT NULL)
  AND /* where */ true
ORDER BY runs.id DESC
LIMIT :limit OFFSET :offset
