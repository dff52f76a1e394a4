-- queries/record_tag.sql for a whole batch in one statement (see record_run_batch): :rows is
-- a JSON array of its arguments; a run's tags have distinct keys, so no row is hit twice.
INSERT INTO tags (run_id, key, value)
SELECT r.run_id, r.key, r.value
FROM json_to_recordset(:rows::json) AS r(run_id bigint, key text, value text)
ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
