-- Every distinct param key, sorted: a skip-scan of params_key_value (one seek per key, not one
-- row per run).
WITH RECURSIVE k(key) AS (
    SELECT min(key) FROM params
    UNION ALL
    SELECT (SELECT min(key) FROM params WHERE key > k.key) FROM k WHERE k.key IS NOT NULL
)
SELECT key FROM k WHERE key IS NOT NULL
