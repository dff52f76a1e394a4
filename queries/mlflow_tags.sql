-- The tags of the live runs of some MLflow experiments (mlflow.* system tags included).
SELECT t.run_uuid, t.key, t.value
FROM tags t JOIN runs r ON r.run_uuid = t.run_uuid
WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN (SELECT value FROM json_each(:experiment_ids))
