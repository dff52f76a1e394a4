-- Tensor bytes, stored once per content hash and shared by every run that has them.
INSERT INTO blobs (hash, size, data) VALUES (:hash, :size, :data)
ON CONFLICT (hash) DO NOTHING
