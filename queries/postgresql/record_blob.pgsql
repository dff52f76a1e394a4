-- queries/record_blob.sql in PostgreSQL's dialect: a row comes back only when the blob is new,
-- so its chunks are written once (SQLite's store reads its change count instead).
INSERT INTO blobs (hash, size, data, chunks) VALUES (:hash, :size, :data, :chunks)
ON CONFLICT (hash) DO NOTHING
RETURNING hash
