-- queries/leaderboard.sql in PostgreSQL's dialect (read it for the plan): a boolean is not 1, and
-- PostgreSQL's planner orders the join itself (it has no CROSS JOIN … ON).
SELECT runs.id     AS run,
       runs.name   AS name,
       runs.method AS method,
       m.value     AS value,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'accuracy'          AND x.step = 0) AS accuracy,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'size_bytes'        AND x.step = 0) AS size_bytes,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'compression_ratio' AND x.step = 0) AS compression_ratio,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'latency_ms_p50'    AND x.step = 0) AS latency_ms_p50,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'perplexity'        AND x.step = 0) AS perplexity,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'embedding_cosine'  AND x.step = 0) AS embedding_cosine,
       (SELECT value FROM metrics x WHERE x.run_id = runs.id AND x.key = 'tokens_per_s'      AND x.step = 0) AS tokens_per_s
FROM metrics m
JOIN runs ON runs.id = m.run_id
WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
  AND runs.status = 'finished'
  AND /* where */ TRUE
ORDER BY m.value /* order */ DESC, m.run_id
LIMIT :limit
