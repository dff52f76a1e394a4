-- The owner of running runs renews their heartbeat (:ids is a JSON array of run ids).
UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'running'
