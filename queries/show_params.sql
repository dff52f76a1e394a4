-- `pare show RUN`: its params, typed, by key.
SELECT key, value FROM params WHERE run_id = :run_id ORDER BY key
