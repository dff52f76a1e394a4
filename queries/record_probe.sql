-- A probe trained on a base model's embeddings of a dataset, kept for every later run.
INSERT INTO probes (model_hash, dataset_hash, probe, train_accuracy)
VALUES (:model_hash, :dataset_hash, :probe, :train_accuracy)
ON CONFLICT (model_hash, dataset_hash) DO NOTHING
