-- A run's tensors with their bytes (or, for a chunked blob, its hash and chunk count), in the
-- order they were recorded.
SELECT t.name, t.encoding, t.dtype, t.shape, t.meta, b.data, b.chunks, b.hash AS blob_hash
FROM tensors t
JOIN blobs b ON b.hash = t.blob_hash
WHERE t.run_id = :run_id
ORDER BY t.position
