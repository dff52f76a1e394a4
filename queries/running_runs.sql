-- The runs stored as 'running', with their owner and heartbeat, to tell live runs from
-- interrupted ones (Leases.swift). Seeks runs_status_method.
SELECT runs.id AS id, runs.owner_host AS owner_host, runs.owner_pid AS owner_pid,
       runs.owner_start AS owner_start,
       (julianday('now') - julianday(COALESCE(runs.heartbeat_at, runs.started_at))) * 86400.0 AS silent_seconds
FROM runs
WHERE runs.status = 'running'
