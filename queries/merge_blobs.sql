-- `pare merge`: the needed blobs this database lacks (a chunked blob's pieces follow in
-- merge_blob_chunks.sql).
INSERT INTO main.blobs (hash, size, data, chunks)
SELECT b.hash, b.size, b.data, b.chunks
FROM merge_source.blobs b JOIN temp.merge_blob_map n ON n.hash = b.hash
WHERE n.present = 0
