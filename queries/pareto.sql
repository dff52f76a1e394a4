-- `pare pareto --x X --y Y`: the finished runs no other run beats on both metrics, in
-- O(n log n): one sort by x, then the running best of y by window functions.
-- Signs turn every pair of directions into "lower x is better, higher y is better":
-- sx = :x_sign * x (1 when lower x is better, else -1), sy = :y_sign * y (1 when higher y is better).
-- A run is on the frontier when
--   * its sy beats the best sy of every run with a strictly better sx (the GROUPS frame ends at
--     the previous peer group, i.e. the previous distinct sx: ties in x never see each other), and
--   * its sy is the best among the runs with the same sx (among equal x only the best y is kept).
-- Equal points (same x and y) dominate neither one another, so all of them are kept.
-- :per_method = 1 partitions by method (one frontier per method); :all_points = 1 returns every
-- candidate with its `frontier` flag (for the plot). `/* where */` takes the --where filter.
-- Walks metrics_key_step_value for x, then each run and its y by primary key: no table scan.
WITH points AS (
    SELECT runs.id     AS run,
           runs.name   AS name,
           runs.method AS method,
           mx.value    AS x,
           my.value    AS y,
           :x_sign * mx.value AS sx,
           :y_sign * my.value AS sy,
           CASE WHEN :per_method THEN runs.method END AS part
    FROM metrics mx
    CROSS JOIN runs ON runs.id = mx.run_id
    JOIN metrics my ON my.run_id = mx.run_id AND my.key = :y AND my.step = 0
    WHERE mx.key = :x AND mx.step = 0 AND mx.value IS NOT NULL AND my.value IS NOT NULL
      AND runs.status = 'finished'
      AND /* where */ 1
),
ranked AS (
    SELECT points.*,
           MAX(sy) OVER (PARTITION BY part ORDER BY sx GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before,
           MAX(sy) OVER (PARTITION BY part ORDER BY sx GROUPS CURRENT ROW) AS best_here
    FROM points
)
SELECT run, name, method, x, y,
       (sy = best_here AND (best_before IS NULL OR sy > best_before)) AS frontier
FROM ranked
WHERE :all_points OR (sy = best_here AND (best_before IS NULL OR sy > best_before))
ORDER BY part, sx, sy DESC, run
