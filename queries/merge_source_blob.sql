-- `pare merge` into a PostgreSQL store: one blob of the other database (a chunked one's pieces
-- are read one at a time, blob_chunk.sql).
SELECT size, data, chunks FROM blobs WHERE hash = :hash
