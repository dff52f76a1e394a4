-- `pare merge` into this store: the copied runs' tensors (:rows, a JSON array), under their new
-- run ids, pointing at blobs by hash (copied or already here).
INSERT INTO tensors (run_id, name, position, encoding, dtype, shape, meta, blob_hash)
SELECT r.run_id, r.name, r.position, r.encoding, r.dtype, r.shape, r.meta, r.blob_hash
FROM json_to_recordset(:rows::json) AS r(run_id bigint, name text, position bigint, encoding text, dtype text,
                                         shape text, meta text, blob_hash text)
