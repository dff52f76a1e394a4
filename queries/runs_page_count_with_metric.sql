-- `pare ui` runs page sorted by a metric: how many matching runs have its final value (a range
-- of metrics_key_step_value), so a page knows where the runs lacking it begin.
SELECT count(*)
FROM metrics m
CROSS JOIN runs ON runs.id = m.run_id
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
  AND /* where */ 1
