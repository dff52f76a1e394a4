-- queries/runs_page_by_id.sql in PostgreSQL's dialect (a WHERE needs a boolean, not 1).
SELECT runs.id AS id
FROM runs
WHERE /* where */ true
ORDER BY runs.id /* order */ DESC
LIMIT :limit OFFSET :offset
