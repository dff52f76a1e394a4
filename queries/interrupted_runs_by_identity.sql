-- `pare sweep`: earlier attempts at a point that were interrupted — failed because their process
-- died or was stopped by a signal, or still 'running' with a dead owner (:interrupted) — with
-- the point's identity (as finished_run_by_identity.sql) and no later pipeline stage after them.
SELECT runs.id
FROM runs
JOIN experiments e ON e.id = runs.experiment_id
WHERE runs.config_hash = :config_hash
  AND ((runs.status = 'failed' AND runs.error LIKE 'interrupted%')
       OR (runs.status = 'running' AND runs.id IN (SELECT value FROM json_each(:interrupted))))
  AND e.name = :experiment
  AND runs.base_model_hash IS :base_model_hash
  AND runs.train_dataset_hash IS :train_dataset_hash
  AND runs.test_dataset_hash IS :test_dataset_hash
  AND runs.calib_dataset_hash IS :calib_dataset_hash
  AND NOT EXISTS (SELECT 1 FROM runs child WHERE child.parent_run_id = runs.id)
