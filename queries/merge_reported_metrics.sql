-- `pare merge`: what users reported beside Pare's measurements, for the copied runs.
INSERT INTO main.reported_metrics (run_id, key, step, value)
SELECT m.new_id, x.key, x.step, x.value
FROM merge_source.reported_metrics x JOIN temp.merge_run_map m ON m.old_id = x.run_id
WHERE m.copy = 1
