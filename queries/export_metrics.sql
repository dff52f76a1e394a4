-- `pare export`: every final metric, in run order (the metrics primary key), for a merge by run id.
SELECT run_id, key, value FROM metrics WHERE step = 0 ORDER BY run_id, key
