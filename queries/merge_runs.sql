-- `pare merge`: the new runs under their new ids, every field as the other database has it
-- (uid, source, times, owner, notes), the experiment found by name and the pipeline parent
-- remapped (NULL when the parent is a 'running' run that was not copied).
INSERT INTO main.runs (id, experiment_id, name, method, status, config, config_hash, base_model_hash,
                       train_dataset_hash, test_dataset_hash, calib_dataset_hash, parent_run_id,
                       started_at, ended_at, error, notes, pare_version, owner_host, owner_pid, owner_start,
                       heartbeat_at, uid, source)
SELECT m.new_id,
       (SELECT te.id FROM main.experiments te JOIN merge_source.experiments oe ON oe.name = te.name
        WHERE oe.id = r.experiment_id),
       r.name, r.method, r.status, r.config, r.config_hash, r.base_model_hash,
       r.train_dataset_hash, r.test_dataset_hash, r.calib_dataset_hash,
       (SELECT p.new_id FROM temp.merge_run_map p WHERE p.old_id = r.parent_run_id),
       r.started_at, r.ended_at, r.error, r.notes, r.pare_version, r.owner_host, r.owner_pid, r.owner_start,
       r.heartbeat_at, r.uid, r.source
FROM merge_source.runs r JOIN temp.merge_run_map m ON m.old_id = r.id
WHERE m.copy = 1
ORDER BY r.id
