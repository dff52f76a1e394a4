-- Deletes a run; its params, metrics and tensors go with it (ON DELETE CASCADE). Blobs stay:
-- they are shared by content.
DELETE FROM runs WHERE id = :id
