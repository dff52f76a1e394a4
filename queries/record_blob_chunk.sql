-- One piece of a chunked blob (see migrations/0005).
INSERT INTO blob_chunks (blob_hash, seq, data) VALUES (:blob_hash, :seq, :data)
ON CONFLICT (blob_hash, seq) DO NOTHING
