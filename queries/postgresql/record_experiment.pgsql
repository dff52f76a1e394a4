-- queries/record_experiment.sql in PostgreSQL's dialect: the clock as SQLite's strftime writes it.
INSERT INTO experiments (name, created_at)
VALUES (:name, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
ON CONFLICT (name) DO NOTHING
