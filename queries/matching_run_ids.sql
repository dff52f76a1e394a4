-- `pare tag --where` / `pare rm --where`: the ids of the runs a filter selects, ascending.
-- :interrupted (as in runs.sql) lets `run.status = 'interrupted'` work in the filter.
SELECT runs.id AS id
FROM runs
WHERE /* where */ :interrupted IS NOT NULL
ORDER BY runs.id
