-- A file a base model needs besides its weights (config.json, tokenizer.json); bytes in blobs.
INSERT INTO model_files (model_hash, name, blob_hash) VALUES (:model_hash, :name, :blob_hash)
ON CONFLICT (model_hash, name) DO NOTHING
