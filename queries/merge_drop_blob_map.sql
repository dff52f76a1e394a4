-- `pare merge`: the blob map is only for one merge.
DROP TABLE IF EXISTS temp.merge_blob_map
