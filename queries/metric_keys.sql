-- Every distinct metric key, sorted: a skip-scan of metrics_key_step_value (one seek per key).
WITH RECURSIVE k(key) AS (
    SELECT min(key) FROM metrics
    UNION ALL
    SELECT (SELECT min(key) FROM metrics WHERE key > k.key) FROM k WHERE k.key IS NOT NULL
)
SELECT key FROM k WHERE key IS NOT NULL
