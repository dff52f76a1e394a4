-- `pare compare`: the params of the runs in :ids (a JSON array of run ids), by primary key.
SELECT run_id, key, value FROM params WHERE run_id IN (SELECT value FROM json_each(:ids)) ORDER BY key
