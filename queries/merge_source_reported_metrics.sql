-- `pare merge` into a PostgreSQL store: what users reported beside Pare's measurements.
SELECT run_id, key, step, value FROM reported_metrics ORDER BY run_id, key, step
