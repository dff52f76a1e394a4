-- `pare compare RUN RUN …`: the runs' own rows; :ids is a JSON array of run ids.
-- A running run whose recording process is gone shows as 'interrupted' (:interrupted).
SELECT id, name, method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT value FROM json_each(:interrupted)) THEN 'interrupted' ELSE runs.status END AS status
FROM runs WHERE id IN (SELECT value FROM json_each(:ids))
