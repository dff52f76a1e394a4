-- `pare merge`: the files base models need besides their weights (config.json, tokenizer.json),
-- by model hash and name.
INSERT INTO main.model_files (model_hash, name, blob_hash)
SELECT model_hash, name, blob_hash FROM merge_source.model_files WHERE true
ON CONFLICT (model_hash, name) DO NOTHING
