-- The params (text, as MLflow stores them) of the live runs of some MLflow experiments.
SELECT p.run_uuid, p.key, p.value
FROM params p JOIN runs r ON r.run_uuid = p.run_uuid
WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN (SELECT value FROM json_each(:experiment_ids))
