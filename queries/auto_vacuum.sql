-- `pare gc`: 0 none (Pare's default), 1 full, 2 incremental.
PRAGMA auto_vacuum
