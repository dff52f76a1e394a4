-- queries/heartbeat.sql in PostgreSQL's dialect: the server's clock, so hosts whose clocks
-- disagree still measure every heartbeat's age on one clock (running_runs).
UPDATE runs SET heartbeat_at = to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
WHERE id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint) AND status = 'running'
