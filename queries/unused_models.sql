-- `pare gc`: base models no run uses (their files and cached probes go with them).
SELECT hash, name FROM models
WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.base_model_hash = models.hash)
ORDER BY hash
