-- `pare merge` into a PostgreSQL store: the other database's tags.
SELECT run_id, key, value FROM tags ORDER BY run_id, key
