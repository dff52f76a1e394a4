-- `pare ui` runs page sorted by a metric, no filter: how many runs have its final value
-- (a range count of the covering index metrics_key_step_value).
SELECT count(*)
FROM metrics m
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
