-- `pare show RUN`: its stored tensors, in recorded order, with the bytes each really takes.
SELECT t.name, t.encoding, t.dtype, t.shape, b.size AS stored_bytes, t.blob_hash
FROM tensors t
JOIN blobs b ON b.hash = t.blob_hash
WHERE t.run_id = :run_id
ORDER BY t.position
