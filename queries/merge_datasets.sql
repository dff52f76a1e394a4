-- `pare merge`: datasets, by the hash of their content.
INSERT INTO main.datasets (hash, name, rows, features, classes)
SELECT hash, name, rows, features, classes FROM merge_source.datasets WHERE true
ON CONFLICT (hash) DO NOTHING
