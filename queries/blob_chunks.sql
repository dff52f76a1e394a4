-- The pieces of a chunked blob, in order.
SELECT data FROM blob_chunks WHERE blob_hash = :blob_hash ORDER BY seq
