-- `pare ui` runs page sorted by a metric: after the runs that have it, those that lack it,
-- newest first (as a spreadsheet puts blanks last).
SELECT runs.id AS id
FROM runs
WHERE NOT EXISTS (SELECT 1 FROM metrics x
                  WHERE x.run_id = runs.id AND x.key = :metric AND x.step = 0 AND x.value IS NOT NULL)
  AND /* where */ 1
ORDER BY runs.id DESC
LIMIT :limit OFFSET :offset
