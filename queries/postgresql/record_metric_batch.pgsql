-- queries/record_metric.sql for a whole batch in one statement (see record_run_batch): :rows
-- is a JSON array of its arguments.
INSERT INTO metrics (run_id, key, step, value, reported)
SELECT r.run_id, r.key, r.step, r.value, r.reported
FROM json_to_recordset(:rows::json) AS r(run_id bigint, key text, step bigint, value double precision, reported smallint)
