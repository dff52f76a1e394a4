-- A dataset, once per content hash.
INSERT INTO datasets (hash, name, rows, features, classes)
VALUES (:hash, :name, :rows, :features, :classes)
ON CONFLICT (hash) DO NOTHING
