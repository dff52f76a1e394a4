-- `pare export`: every param, in run order (the params primary key), for a merge by run id.
SELECT run_id, key, value FROM params ORDER BY run_id, key
