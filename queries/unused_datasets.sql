-- `pare gc`: datasets no run references and no probe of a model a run uses (a probe of a model
-- that gc deletes keeps nothing). Valid before or after that model is deleted.
SELECT hash, name FROM datasets
WHERE NOT EXISTS (SELECT 1 FROM runs
                  WHERE runs.train_dataset_hash = datasets.hash OR runs.test_dataset_hash = datasets.hash
                     OR runs.calib_dataset_hash = datasets.hash)
  AND NOT EXISTS (SELECT 1 FROM probes
                  WHERE probes.dataset_hash = datasets.hash
                    AND EXISTS (SELECT 1 FROM runs WHERE runs.base_model_hash = probes.model_hash))
ORDER BY hash
