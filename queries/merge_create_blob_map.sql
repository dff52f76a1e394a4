-- `pare merge`: the blobs the copied runs and the other's model files need; present = 1 when
-- this database holds that hash already (content-addressed: it is not copied again).
CREATE TEMP TABLE merge_blob_map (
    hash    TEXT PRIMARY KEY,
    present INTEGER NOT NULL
)
