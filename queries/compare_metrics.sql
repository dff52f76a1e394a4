-- `pare compare`: the final (step 0) metrics of the runs in :ids (a JSON array of run ids).
SELECT run_id, key, value FROM metrics WHERE run_id IN (SELECT value FROM json_each(:ids)) AND step = 0 ORDER BY key
