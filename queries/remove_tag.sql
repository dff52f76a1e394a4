-- `pare tag --remove KEY`: drops one label of a run (nothing when the run has no such tag).
DELETE FROM tags WHERE run_id = :run_id AND key = :key
