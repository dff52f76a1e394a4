-- queries/pareto.sql in PostgreSQL's dialect (read it for the method): the flags :per_method
-- and :all_points are 0/1 integers and `frontier` is returned as 0/1, as SQLite gives it.
WITH points AS (
    SELECT runs.id AS run,
           :x_sign * mx.value AS sx,
           :y_sign * my.value AS sy,
           CASE WHEN :per_method = 1 THEN runs.method END AS part
    FROM metrics mx
    JOIN runs ON runs.id = mx.run_id
    JOIN metrics my ON my.run_id = mx.run_id AND my.key = :y AND my.step = 0
    WHERE mx.key = :x AND mx.step = 0 AND mx.value IS NOT NULL AND my.value IS NOT NULL
      AND runs.status = 'finished'
      AND /* where */ TRUE
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
       CASE WHEN best_before IS NULL OR sy > best_before THEN 1 ELSE 0 END AS frontier
FROM ranked
JOIN runs r ON r.id = ranked.run
WHERE :all_points = 1 OR best_before IS NULL OR sy > best_before
ORDER BY part, sx, sy DESC, run
