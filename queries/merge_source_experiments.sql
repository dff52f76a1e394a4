-- `pare merge` into a PostgreSQL store: the other database's experiments.
SELECT id, name, created_at FROM experiments ORDER BY id
