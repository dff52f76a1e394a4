-- `pare merge` into a PostgreSQL store: the other database's probes (a cache).
SELECT model_hash, dataset_hash, probe, train_accuracy FROM probes ORDER BY model_hash, dataset_hash
