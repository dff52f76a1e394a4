-- Marks a run whose recording process died as failed (only if it is still 'running').
UPDATE runs SET status = 'failed', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                error = 'interrupted: the recording process died'
WHERE id = :id AND status = 'running'
