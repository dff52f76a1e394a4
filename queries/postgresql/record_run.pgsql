-- queries/record_run.sql in PostgreSQL's dialect, returning the new run's id (a sequence's:
-- ids grow but may skip where a transaction rolled back). A new run's uid is 128 random bits in
-- hex, as in SQLite.
INSERT INTO runs (experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, ended_at, error, notes, pare_version, owner_host, owner_pid, owner_start,
                  heartbeat_at, uid, source)
VALUES (:experiment_id, :name, :method, :status, :config, :config_hash, :base_model_hash,
        :train_dataset_hash, :test_dataset_hash, :calib_dataset_hash, :parent_run_id,
        coalesce(:started_at, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
        CASE WHEN :status = 'running' THEN NULL ELSE coalesce(:ended_at, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END,
        :error, :notes, :pare_version, :owner_host, :owner_pid, :owner_start,
        CASE WHEN :status = 'running' THEN to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
        coalesce(:uid, replace(gen_random_uuid()::text, '-', '')), :source)
RETURNING id
