-- `pare merge` into a PostgreSQL store: the other database's metrics (final values and curves).
SELECT run_id, key, step, value, reported FROM metrics ORDER BY run_id, key, step
