-- queries/finished_run_by_identity.sql in PostgreSQL's dialect: IS NOT DISTINCT FROM for
-- SQLite's IS (NULL matches NULL).
SELECT runs.id
FROM runs
JOIN experiments e ON e.id = runs.experiment_id
WHERE runs.config_hash = :config_hash AND runs.status = 'finished'
  AND e.name = :experiment
  AND runs.base_model_hash IS NOT DISTINCT FROM :base_model_hash
  AND runs.train_dataset_hash IS NOT DISTINCT FROM :train_dataset_hash
  AND runs.test_dataset_hash IS NOT DISTINCT FROM :test_dataset_hash
  AND runs.calib_dataset_hash IS NOT DISTINCT FROM :calib_dataset_hash
ORDER BY runs.id DESC
LIMIT 1
