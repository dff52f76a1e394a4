-- The probe cached for a base model and a labelled dataset, if any.
SELECT probe FROM probes WHERE model_hash = :model_hash AND dataset_hash = :dataset_hash
