-- What the user reported for a run Pare measured too (`pare log --evaluate`), kept beside
-- Pare's own values.
INSERT INTO reported_metrics (run_id, key, step, value) VALUES (:run_id, :key, :step, :value)
