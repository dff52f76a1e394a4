-- A new run. beginRun writes it 'running' (finished later by finish_run.sql or fail_run.sql);
-- record writes a whole run at once as 'finished', in the transaction that writes its results.
-- A running run carries its owner (host, pid, process start) and a first heartbeat.
INSERT INTO runs (experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, ended_at, notes, pare_version, owner_host, owner_pid, owner_start, heartbeat_at)
VALUES (:experiment_id, :name, :method, :status, :config, :config_hash, :base_model_hash,
        :train_dataset_hash, :test_dataset_hash, :calib_dataset_hash, :parent_run_id,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        CASE WHEN :status = 'running' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END,
        :notes, :pare_version, :owner_host, :owner_pid, :owner_start,
        CASE WHEN :status = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END)
