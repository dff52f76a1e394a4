-- `pare merge` into a PostgreSQL store: the other database's params, with their SQLite types.
SELECT run_id, key, value FROM params ORDER BY run_id, key
