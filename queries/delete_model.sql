-- `pare gc`: a model no run uses (after its probes and model_files).
DELETE FROM models WHERE hash = :hash
