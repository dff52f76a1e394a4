-- `pare merge`: the copied runs' tensors, pointing at blobs by hash (copied or already here).
INSERT INTO main.tensors (run_id, name, position, encoding, dtype, shape, meta, blob_hash)
SELECT m.new_id, x.name, x.position, x.encoding, x.dtype, x.shape, x.meta, x.blob_hash
FROM merge_source.tensors x JOIN temp.merge_run_map m ON m.old_id = x.run_id
WHERE m.copy = 1
