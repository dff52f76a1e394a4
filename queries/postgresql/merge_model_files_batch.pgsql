-- `pare merge` into this store: the other database's model files that are new here (:rows).
INSERT INTO model_files (model_hash, name, blob_hash)
SELECT r.model_hash, r.name, r.blob_hash
FROM json_to_recordset(:rows::json) AS r(model_hash text, name text, blob_hash text)
ON CONFLICT (model_hash, name) DO NOTHING
