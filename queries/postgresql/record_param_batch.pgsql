-- queries/postgresql/record_param.pgsql for a whole batch in one statement (see
-- record_run_batch): :rows is a JSON array of its arguments.
INSERT INTO params (run_id, key, value_integer, value_real, value_text)
SELECT r.run_id, r.key, r.value_integer, r.value_real, r.value_text
FROM json_to_recordset(:rows::json) AS r(run_id bigint, key text, value_integer bigint, value_real double precision, value_text text)
