-- `pare merge` into this store: the copied runs (:rows, a JSON array) under their new ids, every
-- field as the other database has it (uid, source, times, owner, heartbeat, notes); the
-- experiment, parent and notes already remapped (PostgresMerge.swift).
INSERT INTO runs (id, experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, ended_at, error, notes, pare_version, owner_host, owner_pid, owner_start,
                  heartbeat_at, uid, source)
SELECT r.id, r.experiment_id, r.name, r.method, r.status, r.config, r.config_hash, r.base_model_hash,
       r.train_dataset_hash, r.test_dataset_hash, r.calib_dataset_hash, r.parent_run_id,
       r.started_at, r.ended_at, r.error, r.notes, r.pare_version, r.owner_host, r.owner_pid, r.owner_start,
       r.heartbeat_at, r.uid, r.source
FROM json_to_recordset(:rows::json) AS r(
    id bigint, experiment_id bigint, name text, method text, status text, config text, config_hash text,
    base_model_hash text, train_dataset_hash text, test_dataset_hash text, calib_dataset_hash text,
    parent_run_id bigint, started_at text, ended_at text, error text, notes text, pare_version text,
    owner_host text, owner_pid bigint, owner_start text, heartbeat_at text, uid text, source text)
ORDER BY r.id
