-- `pare gc`: an unused blob; its chunks go with it (blob_chunks ON DELETE CASCADE).
DELETE FROM blobs WHERE hash = :hash
