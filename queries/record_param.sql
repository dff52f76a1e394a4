-- One typed config value (INTEGER, REAL or TEXT).
INSERT INTO params (run_id, key, value) VALUES (:run_id, :key, :value)
