-- :count new run ids from the runs' sequence, for a batch written in one statement
-- (record_run_batch). Ids a rolled-back batch reserved are skipped, as record_run's are.
SELECT nextval(pg_get_serial_sequence('runs', 'id')) AS id FROM generate_series(1, :count) ORDER BY 1
