-- queries/runs.sql in PostgreSQL's dialect: a negative :limit is no limit (LIMIT NULL), the
-- interrupted ids a jsonb array, a boolean not 1.
SELECT runs.id     AS id,
       runs.name   AS name,
       runs.method AS method,
       CASE WHEN runs.status = 'running' AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint) THEN 'interrupted' ELSE runs.status END AS status,
       runs.started_at AS started_at,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'accuracy'          AND m.step = 0) AS accuracy,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'size_bytes'        AND m.step = 0) AS size_bytes,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'compression_ratio' AND m.step = 0) AS compression_ratio,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'latency_ms_p50'    AND m.step = 0) AS latency_ms_p50,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'perplexity'        AND m.step = 0) AS perplexity,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'embedding_cosine'  AND m.step = 0) AS embedding_cosine,
       (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = 'tokens_per_s'      AND m.step = 0) AS tokens_per_s
FROM runs
WHERE /* where */ TRUE
ORDER BY runs.id DESC
LIMIT CASE WHEN :limit < 0 THEN NULL ELSE :limit END
