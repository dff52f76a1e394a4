-- `pare sweep` resume: the newest finished run of the same identity — the same config hash
-- (method config + seed, canonical JSON), the same experiment, base model and datasets (NULL
-- matches NULL). Seeks runs_config_hash (config_hash, status); the rest filters those few rows.
SELECT runs.id
FROM runs
JOIN experiments e ON e.id = runs.experiment_id
WHERE runs.config_hash = :config_hash AND runs.status = 'finished'
  AND e.name = :experiment
  AND runs.base_model_hash IS :base_model_hash
  AND runs.train_dataset_hash IS :train_dataset_hash
  AND runs.test_dataset_hash IS :test_dataset_hash
  AND runs.calib_dataset_hash IS :calib_dataset_hash
ORDER BY runs.id DESC
LIMIT 1
