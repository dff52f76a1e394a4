-- queries/show_run.sql in PostgreSQL's dialect: the interrupted ids a jsonb array.
SELECT runs.id, runs.uid, runs.source, runs.name, e.name AS experiment, runs.method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint) THEN 'interrupted' ELSE runs.status END AS status, runs.started_at,
       runs.ended_at, runs.parent_run_id, runs.base_model_hash, runs.train_dataset_hash,
       runs.test_dataset_hash, test.name AS test_dataset, runs.calib_dataset_hash, calib.name AS calib_dataset,
       runs.config, runs.config_hash,
       runs.pare_version, runs.owner_host, runs.owner_pid, runs.heartbeat_at, runs.error, runs.notes
FROM runs
JOIN experiments e ON e.id = runs.experiment_id
LEFT JOIN datasets test ON test.hash = runs.test_dataset_hash
LEFT JOIN datasets calib ON calib.hash = runs.calib_dataset_hash
WHERE runs.id = :run_id
