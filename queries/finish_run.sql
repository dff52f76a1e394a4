-- Marks a running run finished, in the same transaction that wrote its metrics and tensors.
UPDATE runs SET status = 'finished', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), notes = :notes
WHERE id = :id AND status = 'running'
