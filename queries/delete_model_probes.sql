-- `pare gc`: the cached probes of a model no run uses (before the model row, which they reference).
DELETE FROM probes WHERE model_hash = :hash
