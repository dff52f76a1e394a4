-- `pare gc` after VACUUM: copies the write-ahead log into the file and truncates both, so the
-- file shrinks now. Returns (busy, log pages, checkpointed pages); busy = 1 when a reader holds
-- an older snapshot (the file then shrinks at a later checkpoint).
PRAGMA wal_checkpoint(TRUNCATE)
