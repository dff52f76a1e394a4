-- Marks a running run failed with its error.
UPDATE runs SET status = 'failed', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), error = :error
WHERE id = :id AND status = 'running'
