-- A run's tensors with their bytes, in the order they were recorded.
SELECT t.name, t.encoding, t.dtype, t.shape, t.meta, b.data
FROM tensors t
JOIN blobs b ON b.hash = t.blob_hash
WHERE t.run_id = :run_id
ORDER BY t.position
