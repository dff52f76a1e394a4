-- `pare ui` runs page sorted by a metric: the runs that have its final value, in value order
-- (ties by run id). Walks metrics_key_step_value in order (CROSS JOIN keeps metrics outer), as
-- leaderboard.sql does, so the page costs offset + limit index steps, not a sort of all runs.
SELECT runs.id AS id
FROM metrics m
CROSS JOIN runs ON runs.id = m.run_id
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
  AND /* where */ 1
ORDER BY m.value /* order */ DESC, m.run_id
LIMIT :limit OFFSET :offset
