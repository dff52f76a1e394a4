-- `pare merge`: the pieces of the chunked blobs just copied (migrations/0005).
INSERT INTO main.blob_chunks (blob_hash, seq, data)
SELECT c.blob_hash, c.seq, c.data
FROM merge_source.blob_chunks c JOIN temp.merge_blob_map n ON n.hash = c.blob_hash
WHERE n.present = 0
