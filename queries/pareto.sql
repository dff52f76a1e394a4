-- `pare pareto --x X --y Y`: the finished runs no other run beats on both metrics, in
-- O(n log n): one sort, then the running best of y by one window function.
-- Signs turn every pair of directions into "lower x is better, higher y is better":
-- sx = :x_sign * x (1 when lower x is better, else -1), sy = :y_sign * y (1 when higher y is better).
-- Rows are sorted by sx, then sy best first; a peer group is a set of equal points (same sx and sy).
-- best_before is the best sy of every earlier peer group (GROUPS frame ending at the previous
-- group), so a run is on the frontier when its sy beats it:
--   * a run with the same x as a better-y run sees that run's y earlier: among equal x only the
--     best y is kept;
--   * equal points are one peer group and see the same best_before: they dominate neither one
--     another, so all of them are kept (or none).
-- :per_method = 1 partitions by method (one frontier per method); :all_points = 1 returns every
-- candidate with its `frontier` flag (for the plot). `/* where */` takes the --where filter.
-- Walks metrics_key_step_value for x, then each run and its y by primary key: no table scan.
-- The sorted rows carry only (run, sx, sy, part); names are looked up for the rows returned.
WITH points AS (
    SELECT runs.id AS run,
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
           MAX(sy) OVER (PARTITION BY part ORDER BY sx, sy DESC
                         GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
    FROM points
)
SELECT r.id AS run, r.name AS name, r.method AS method,
       ranked.sx * :x_sign AS x,
       ranked.sy * :y_sign AS y,
       (best_before IS NULL OR sy > best_before) AS frontier
FROM ranked
CROSS JOIN runs r ON r.id = ranked.run
WHERE :all_points OR best_before IS NULL OR sy > best_before
ORDER BY part, sx, sy DESC, run
