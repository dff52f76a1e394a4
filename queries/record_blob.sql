-- Tensor bytes, stored once per content hash and shared by every run that has them. With
-- :chunks > 0, :data is empty and the bytes follow in blob_chunks (record_blob_chunk).
INSERT INTO blobs (hash, size, data, chunks) VALUES (:hash, :size, :data, :chunks)
ON CONFLICT (hash) DO NOTHING
