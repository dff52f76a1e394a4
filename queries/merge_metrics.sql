-- `pare merge`: the copied runs' metrics (final values and curves), with who measured them.
INSERT INTO main.metrics (run_id, key, step, value, reported)
SELECT m.new_id, x.key, x.step, x.value, x.reported
FROM merge_source.metrics x JOIN temp.merge_run_map m ON m.old_id = x.run_id
WHERE m.copy = 1
