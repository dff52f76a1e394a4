-- queries/postgresql/record_run.pgsql for a whole batch in one statement: on a server each
-- statement is a round trip, which one row at a time made the cost of a bulk load. :rows is a
-- JSON array of record_run's arguments, each with the id reserved for it (reserve_run_ids).
INSERT INTO runs (id, experiment_id, name, method, status, config, config_hash, base_model_hash,
                  train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                  started_at, ended_at, error, notes, pare_version, owner_host, owner_pid, owner_start,
                  heartbeat_at, uid, source)
SELECT r.id, r.experiment_id, r.name, r.method, r.status, r.config, r.config_hash, r.base_model_hash,
       r.train_dataset_hash, r.test_dataset_hash, r.calib_dataset_hash, r.parent_run_id,
       coalesce(r.started_at, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       CASE WHEN r.status = 'running' THEN NULL ELSE coalesce(r.ended_at, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END,
       r.error, r.notes, r.pare_version, r.owner_host, r.owner_pid, r.owner_start,
       CASE WHEN r.status = 'running' THEN to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
       coalesce(r.uid, replace(gen_random_uuid()::text, '-', '')), r.source
FROM json_to_recordset(:rows::json) AS r(
    id bigint, experiment_id bigint, name text, method text, status text, config text, config_hash text,
    base_model_hash text, train_dataset_hash text, test_dataset_hash text, calib_dataset_hash text,
    parent_run_id bigint, started_at text, ended_at text, error text, notes text, pare_version text,
    owner_host text, owner_pid bigint, owner_start text, uid text, source text)
