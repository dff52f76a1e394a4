-- `pare ui` runs page: the final values of the shown metric columns (:keys) for one page's runs
-- (:ids); both JSON arrays. One seek per run and key in the metrics primary key.
SELECT m.run_id, m.key, m.value
FROM metrics m
WHERE m.run_id IN (SELECT value FROM json_each(:ids))
  AND m.key IN (SELECT value FROM json_each(:keys))
  AND m.step = 0
