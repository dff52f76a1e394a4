-- queries/run_baseline.sql in PostgreSQL's dialect: an integer param's value is value_integer.
SELECT runs.id, runs.name, runs.method, runs.status
FROM params p JOIN runs ON runs.id = p.value_integer
WHERE p.run_id = :run_id AND p.key = 'baseline_run'
