-- queries/reap_run.sql in PostgreSQL's dialect: the clock as SQLite's strftime writes it.
UPDATE runs SET status = 'failed', ended_at = to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                error = 'interrupted: the recording process died'
WHERE id = :id AND status = 'running'
