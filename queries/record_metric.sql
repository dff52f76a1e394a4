-- One metric value; step 0 is the final value.
INSERT INTO metrics (run_id, key, step, value) VALUES (:run_id, :key, :step, :value)
