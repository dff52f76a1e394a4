-- A label on a run; setting a key again replaces its value.
INSERT INTO tags (run_id, key, value) VALUES (:run_id, :key, :value)
ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
