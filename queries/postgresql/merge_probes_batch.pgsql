-- `pare merge` into this store: trained linear probes (a cache), by base model and dataset (:rows).
INSERT INTO probes (model_hash, dataset_hash, probe, train_accuracy)
SELECT r.model_hash, r.dataset_hash, r.probe, r.train_accuracy
FROM json_to_recordset(:rows::json) AS r(model_hash text, dataset_hash text, probe text, train_accuracy double precision)
ON CONFLICT (model_hash, dataset_hash) DO NOTHING
