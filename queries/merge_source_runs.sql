-- `pare merge` into a PostgreSQL store: the other database's runs, every field a merge copies.
SELECT id, experiment_id, name, method, status, config, config_hash, base_model_hash, train_dataset_hash,
       test_dataset_hash, calib_dataset_hash, parent_run_id, started_at, ended_at, error, notes, pare_version,
       owner_host, owner_pid, owner_start, heartbeat_at, uid, source
FROM runs
ORDER BY id
