-- queries/matching_run_ids.sql in PostgreSQL's dialect: a boolean not 1. :interrupted is bound
-- for filters on run.status (typed, as PostgreSQL wants every parameter's type known).
SELECT runs.id AS id
FROM runs
WHERE /* where */ :interrupted::jsonb IS NOT NULL
ORDER BY runs.id
