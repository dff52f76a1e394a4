-- Deletes a run that no later pipeline stage names as its parent; its params, metrics and
-- tensors go with it (ON DELETE CASCADE). Blobs stay: they are shared by content. Returns the
-- id when the run was deleted (no row when a stage still names it).
DELETE FROM runs WHERE id = :id AND NOT EXISTS (SELECT 1 FROM runs child WHERE child.parent_run_id = :id)
RETURNING id
