-- `pare ui` runs page: the rows of one page's runs (:ids, a JSON array), in any order.
-- A running run whose recording process is gone shows as 'interrupted' (:interrupted).
SELECT runs.id, runs.name, runs.method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT value FROM json_each(:interrupted)) THEN 'interrupted' ELSE runs.status END AS status,
       runs.started_at
FROM runs WHERE runs.id IN (SELECT value FROM json_each(:ids))
