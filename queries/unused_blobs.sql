-- `pare gc`: blobs no tensor references and no file of a model a run uses (a file of a model
-- that gc deletes keeps nothing). Reads hash and size only: a blob's bytes are never loaded.
-- Seeks tensors_blob; valid before or after the unused models are deleted.
SELECT hash, size FROM blobs
WHERE NOT EXISTS (SELECT 1 FROM tensors WHERE tensors.blob_hash = blobs.hash)
  AND NOT EXISTS (SELECT 1 FROM model_files
                  WHERE model_files.blob_hash = blobs.hash
                    AND EXISTS (SELECT 1 FROM runs WHERE runs.base_model_hash = model_files.model_hash))
ORDER BY hash
