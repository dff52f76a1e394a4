-- queries/finish_run.sql in PostgreSQL's dialect: the clock as SQLite's strftime writes it.
UPDATE runs SET status = 'finished', ended_at = to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), notes = :notes
WHERE id = :id AND status = 'running'
