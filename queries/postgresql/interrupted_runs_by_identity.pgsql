-- queries/interrupted_runs_by_identity.sql in PostgreSQL's dialect: IS NOT DISTINCT FROM for
-- SQLite's IS (NULL matches NULL), :interrupted a jsonb array.
SELECT runs.id
FROM runs
JOIN experiments e ON e.id = runs.experiment_id
WHERE runs.config_hash = :config_hash
  AND ((runs.status = 'failed' AND runs.error LIKE 'interrupted%')
       OR (runs.status = 'running' AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint)))
  AND e.name = :experiment
  AND runs.base_model_hash IS NOT DISTINCT FROM :base_model_hash
  AND runs.train_dataset_hash IS NOT DISTINCT FROM :train_dataset_hash
  AND runs.test_dataset_hash IS NOT DISTINCT FROM :test_dataset_hash
  AND runs.calib_dataset_hash IS NOT DISTINCT FROM :calib_dataset_hash
  AND NOT EXISTS (SELECT 1 FROM runs child WHERE child.parent_run_id = runs.id)
