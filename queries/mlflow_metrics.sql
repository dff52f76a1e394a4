-- Every logged point of every metric of the live runs of some MLflow experiments. MLflow
-- stores a NaN as value 0 with is_nan = 1.
SELECT m.run_uuid, m.key, m.value, m.is_nan, m.timestamp, m.step
FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid
WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN (SELECT value FROM json_each(:experiment_ids))
ORDER BY m.run_uuid, m.key, m.step, m.timestamp, m.value
