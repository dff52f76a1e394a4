-- `pare gc`: the file list of a model no run uses; the files' blobs are freed after, if unused.
DELETE FROM model_files WHERE model_hash = :hash
