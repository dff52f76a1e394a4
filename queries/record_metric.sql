-- One metric value; step 0 is the final value. `reported` is 1 for a value the user reported
-- (not measured by Pare).
INSERT INTO metrics (run_id, key, step, value, reported) VALUES (:run_id, :key, :step, :value, :reported)
