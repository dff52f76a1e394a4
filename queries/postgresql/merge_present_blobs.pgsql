-- `pare merge` into this store: which of the blobs the copied runs need (:hashes, a JSON array)
-- are here already (content-addressed: they are not copied again). FOR SHARE holds them until
-- the merge commits, so a concurrent gc cannot free one the merged tensors then point at.
SELECT hash FROM blobs WHERE hash IN (SELECT jsonb_array_elements_text(:hashes::jsonb)) ORDER BY hash FOR SHARE
