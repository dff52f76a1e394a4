-- A new run. beginRun writes it 'running' (finished later by finish_run.sql or fail_run.sql);
-- record writes a whole run at once as 'finished' (or, for a run imported as failed, 'failed'
-- with its error), in the transaction that writes its results.
-- A running run carries its owner (host, pid, process start) and a first heartbeat.
-- A run computed elsewhere passes its own start and end times; Pare's runs start now.
-- A run without a uid gets a random 128-bit one (migrations/0006).
INSERT INTO runs (experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, ended_at, error, notes, pare_version, owner_host, owner_pid, owner_start,
                  heartbeat_at, uid, source)
VALUES (:experiment_id, :name, :method, :status, :config, :config_hash, :base_model_hash,
        :train_dataset_hash, :test_dataset_hash, :calib_dataset_hash, :parent_run_id,
        coalesce(:started_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CASE WHEN :status = 'running' THEN NULL ELSE coalesce(:ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END,
        :error, :notes, :pare_version, :owner_host, :owner_pid, :owner_start,
        CASE WHEN :status = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END,
        coalesce(:uid, lower(hex(randomblob(16)))), :source)
