-- `pare show RUN`: its labels (`pare tag`), by key.
SELECT key, value FROM tags WHERE run_id = :run_id ORDER BY key
