-- `pare merge` into this store: which of the other database's model files (:rows, a JSON array
-- of {model_hash, name}) are here already; a model file here is kept as it is.
SELECT f.model_hash, f.name
FROM model_files f
JOIN json_to_recordset(:rows::json) AS r(model_hash text, name text) ON r.model_hash = f.model_hash AND r.name = f.name
