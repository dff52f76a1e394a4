-- The live runs of some experiments (:experiment_ids, a JSON array) of an MLflow tracking
-- database. Times are ms since the epoch; status is RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.
SELECT r.run_uuid, r.name, r.status, r.start_time, r.end_time, e.name AS experiment
FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
WHERE r.lifecycle_stage = 'active' AND r.experiment_id IN (SELECT value FROM json_each(:experiment_ids))
ORDER BY r.start_time, r.run_uuid
