-- `pare merge`: the copied runs' params. A param that names another run (:run_id_keys, a JSON
-- array, e.g. ["baseline_run"]) is remapped to that run's id here.
INSERT INTO main.params (run_id, key, value)
SELECT m.new_id, p.key,
       CASE WHEN p.key IN (SELECT value FROM json_each(:run_id_keys)) AND typeof(p.value) = 'integer'
            THEN coalesce((SELECT b.new_id FROM temp.merge_run_map b WHERE b.old_id = p.value), p.value)
            ELSE p.value END
FROM merge_source.params p JOIN temp.merge_run_map m ON m.old_id = p.run_id
WHERE m.copy = 1
