-- queries/record_reported_metric.sql for a whole batch in one statement (see
-- record_run_batch): :rows is a JSON array of its arguments.
INSERT INTO reported_metrics (run_id, key, step, value)
SELECT r.run_id, r.key, r.step, r.value
FROM json_to_recordset(:rows::json) AS r(run_id bigint, key text, step bigint, value double precision)
