-- `pare ui` runs page sorted by a metric, no filter: runs_page_by_metric.sql without its join to
-- runs (every metric row has its run: foreign key, ON DELETE CASCADE), so the page walks the
-- covering index metrics_key_step_value alone: at 100k runs the last page costs one index scan.
SELECT m.run_id AS id
FROM metrics m
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
ORDER BY m.value /* order */ DESC, m.run_id
LIMIT :limit OFFSET :offset
