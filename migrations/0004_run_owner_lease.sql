-- Pare's record, version 4: every running run names the process that records it, and that
-- process renews a heartbeat while it works. A reader shows a 'running' run whose owner is
-- gone as 'interrupted' (derived, never stored); the next writer marks it 'failed'.
--   owner_host   the recording machine's host name
--   owner_pid    its process id there
--   owner_start  "BOOT_ID:START_TICKS" (Linux: /proc/sys/kernel/random/boot_id and field 22 of
--                /proc/PID/stat), so a reused pid or a reboot is not mistaken for the owner
--   heartbeat_at UTC ISO 8601 time of the owner's last renewal (every few seconds)
-- Runs recorded before this migration have NULL owners; they are judged by started_at.
ALTER TABLE runs ADD COLUMN owner_host TEXT;
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN owner_start TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
