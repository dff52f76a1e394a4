-- queries/summary.sql in PostgreSQL's dialect (read it for the plan): the pipeline param is
-- text, PostgreSQL has no CROSS JOIN … ON, a boolean is not 1, and x / 0 is an error, so the
-- ratios divide by NULLIF(…, 0) to stay NULL as in SQLite.
WITH candidates AS (
    SELECT runs.id AS run,
           COALESCE(pipeline.value_text, runs.method) AS method,
           m.value AS value,
           ROW_NUMBER() OVER (PARTITION BY COALESCE(pipeline.value_text, runs.method)
                              ORDER BY m.value /* order */ DESC, runs.id) AS place
    FROM metrics m
    JOIN runs ON runs.id = m.run_id
    LEFT JOIN params pipeline ON pipeline.run_id = runs.id AND pipeline.key = 'pipeline'
    WHERE m.key = :metric AND m.step = 0 AND m.value IS NOT NULL
      AND runs.status = 'finished'
      AND (pipeline.value_text IS NULL OR NOT EXISTS (SELECT 1 FROM runs child WHERE child.parent_run_id = runs.id))
      AND /* where */ TRUE
),
best AS (
    SELECT c.run, c.method, c.value, r.name,
           (SELECT b.id FROM runs b
            WHERE b.base_model_hash = r.base_model_hash AND b.method = 'none' AND b.status = 'finished'
            ORDER BY b.id DESC LIMIT 1) AS base
    FROM candidates c
    JOIN runs r ON r.id = c.run
    WHERE c.place = 1
)
SELECT best.method AS method,
       best.run    AS run,
       best.name   AS name,
       best.value  AS value,
       acc.value   AS accuracy,
       acc.value - base_acc.value AS accuracy_delta,
       size.value  AS size_bytes,
       COALESCE(own_base_size.value, base_size.value) / NULLIF(size.value, 0) AS compression_ratio,
       lat.value   AS latency_ms_p50,
       base_lat.value / NULLIF(lat.value, 0) AS speedup,
       best.base   AS base_run
FROM best
LEFT JOIN metrics acc           ON acc.run_id = best.run           AND acc.key = 'accuracy'             AND acc.step = 0
LEFT JOIN metrics size          ON size.run_id = best.run          AND size.key = 'size_bytes'          AND size.step = 0
LEFT JOIN metrics own_base_size ON own_base_size.run_id = best.run AND own_base_size.key = 'base_size_bytes' AND own_base_size.step = 0
LEFT JOIN metrics lat           ON lat.run_id = best.run           AND lat.key = 'latency_ms_p50'      AND lat.step = 0
LEFT JOIN metrics base_acc      ON base_acc.run_id = best.base     AND base_acc.key = 'accuracy'       AND base_acc.step = 0
LEFT JOIN metrics base_size     ON base_size.run_id = best.base    AND base_size.key = 'size_bytes'    AND base_size.step = 0
LEFT JOIN metrics base_lat      ON base_lat.run_id = best.base     AND base_lat.key = 'latency_ms_p50' AND base_lat.step = 0
ORDER BY best.value /* order */ DESC, best.method
