-- `pare merge`: the copied runs' tags.
INSERT INTO main.tags (run_id, key, value)
SELECT m.new_id, x.key, x.value
FROM merge_source.tags x JOIN temp.merge_run_map m ON m.old_id = x.run_id
WHERE m.copy = 1
