-- `pare merge`: the new runs under their new ids, every field as the other database has it
-- (uid, source, times, owner, notes), the experiment found by name and the pipeline parent
-- remapped (NULL when the parent is a 'running' run that was not copied). A distilled run's note
-- "baseline: run N …" names its companion run: N becomes that run's id here, as its
-- baseline_run param does (merge_params).
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
       r.started_at, r.ended_at, r.error,
       CASE WHEN b.old_id IS NULL THEN r.notes
            ELSE (SELECT json_group_array(CASE
                      WHEN n.value = 'baseline: run ' || b.old_id OR n.value LIKE 'baseline: run ' || b.old_id || ' %'
                      THEN 'baseline: run ' || b.new_id || substr(n.value, length('baseline: run ' || b.old_id) + 1)
                      ELSE n.value END)
                  FROM (SELECT value FROM json_each(r.notes) ORDER BY key) n) END,
       r.pare_version, r.owner_host, r.owner_pid, r.owner_start,
       r.heartbeat_at, r.uid, r.source
FROM merge_source.runs r JOIN temp.merge_run_map m ON m.old_id = r.id
LEFT JOIN (SELECT bp.run_id, bm.old_id, bm.new_id FROM merge_source.params bp
           JOIN temp.merge_run_map bm ON bm.old_id = bp.value
           WHERE bp.key = 'baseline_run' AND typeof(bp.value) = 'integer') b ON b.run_id = r.id
WHERE m.copy = 1
ORDER BY r.id
