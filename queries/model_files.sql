-- The files recorded with a base model, with their bytes.
SELECT f.name, b.data
FROM model_files f
JOIN blobs b ON b.hash = f.blob_hash
WHERE f.model_hash = :model_hash
ORDER BY f.name
