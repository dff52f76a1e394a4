-- `pare merge` into a PostgreSQL store: the files of the other database's base models.
SELECT model_hash, name, blob_hash FROM model_files ORDER BY model_hash, name
