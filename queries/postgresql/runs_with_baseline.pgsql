-- queries/runs_with_baseline.sql in PostgreSQL's dialect: a run id param is an integer.
SELECT run_id AS id FROM params WHERE key = 'baseline_run' AND value_integer = :id ORDER BY run_id
