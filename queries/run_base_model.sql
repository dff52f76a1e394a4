-- `pare export-model`: a run's status and the architecture of its base model.
SELECT runs.status, runs.error, models.arch
FROM runs
LEFT JOIN models ON models.hash = runs.base_model_hash
WHERE runs.id = :run_id
