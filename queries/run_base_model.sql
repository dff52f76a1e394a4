-- `pare export-model`, `generate --run`: a run's status and its base model's identity and architecture.
SELECT runs.status, runs.error, runs.base_model_hash, models.name AS model_name, models.arch
FROM runs
LEFT JOIN models ON models.hash = runs.base_model_hash
WHERE runs.id = :run_id
