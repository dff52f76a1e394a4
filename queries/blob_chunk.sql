-- One piece of a chunked blob (a PostgreSQL store reads a large blob so, a round trip a piece).
SELECT data FROM blob_chunks WHERE blob_hash = :blob_hash AND seq = :seq
