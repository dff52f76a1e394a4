-- Pare's record, version 4 (migrations/0004_run_owner_lease.sql): the process that records a
-- running run, and its heartbeat.
ALTER TABLE runs ADD COLUMN owner_host TEXT;
ALTER TABLE runs ADD COLUMN owner_pid BIGINT;
ALTER TABLE runs ADD COLUMN owner_start TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
