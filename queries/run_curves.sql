-- `pare ui` run page: the run's training curves (every metric point with step > 0), by key and step.
SELECT key, step, value
FROM metrics
WHERE run_id = :run_id AND step > 0
ORDER BY key, step
