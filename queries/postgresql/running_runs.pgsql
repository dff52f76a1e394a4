-- queries/running_runs.sql in PostgreSQL's dialect: seconds since the last heartbeat on the
-- server's clock (the stamps are UTC text; a zone in the text is ignored by ::timestamp).
SELECT runs.id AS id, runs.owner_host AS owner_host, runs.owner_pid AS owner_pid,
       runs.owner_start AS owner_start,
       extract(epoch FROM clock_timestamp() - (COALESCE(runs.heartbeat_at, runs.started_at)::timestamp AT TIME ZONE 'UTC'))::double precision AS silent_seconds
FROM runs
WHERE runs.status = 'running'
