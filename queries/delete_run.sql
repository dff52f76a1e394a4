-- Deletes a run that no later pipeline stage names as its parent; its params, metrics and
-- tensors go with it (ON DELETE CASCADE). Blobs stay: they are shared by content.
DELETE FROM runs WHERE id = :id AND NOT EXISTS (SELECT 1 FROM runs child WHERE child.parent_run_id = :id)
