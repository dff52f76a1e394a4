-- `pare merge`: trained linear probes (a cache), by base model and dataset.
INSERT INTO main.probes (model_hash, dataset_hash, probe, train_accuracy)
SELECT model_hash, dataset_hash, probe, train_accuracy FROM merge_source.probes WHERE true
ON CONFLICT (model_hash, dataset_hash) DO NOTHING
