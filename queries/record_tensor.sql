-- One stored tensor of a run; its bytes are in blobs.
INSERT INTO tensors (run_id, name, position, encoding, dtype, shape, meta, blob_hash)
VALUES (:run_id, :name, :position, :encoding, :dtype, :shape, :meta, :blob_hash)
