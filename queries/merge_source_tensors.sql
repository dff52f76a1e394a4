-- `pare merge` into a PostgreSQL store: the other database's tensors (their bytes are read blob by blob).
SELECT run_id, name, position, encoding, dtype, shape, meta, blob_hash FROM tensors ORDER BY run_id, position
