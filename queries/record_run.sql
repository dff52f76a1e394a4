-- A new run, 'running' until finish_run.sql or fail_run.sql.
INSERT INTO runs (experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, pare_version)
VALUES (:experiment_id, :name, :method, 'running', :config, :config_hash, :base_model_hash,
        :train_dataset_hash, :test_dataset_hash, :calib_dataset_hash, :parent_run_id,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), :pare_version)
