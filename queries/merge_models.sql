-- `pare merge`: base models, by the hash of their weights (one already here is kept as it is).
INSERT INTO main.models (hash, name, arch, params, size_bytes)
SELECT hash, name, arch, params, size_bytes FROM merge_source.models WHERE true
ON CONFLICT (hash) DO NOTHING
