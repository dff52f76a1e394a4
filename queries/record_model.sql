-- A base model, once per weights hash.
INSERT INTO models (hash, name, arch, params, size_bytes)
VALUES (:hash, :name, :arch, :params, :size_bytes)
ON CONFLICT (hash) DO NOTHING
