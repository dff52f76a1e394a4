-- `pare show RUN`: what the user reported for a run Pare measured too (`pare log --evaluate`),
-- final values and curve point counts, as show_metrics.sql gives Pare's.
SELECT key,
       max(CASE WHEN step = 0 THEN value END) AS value,
       count(CASE WHEN step > 0 THEN 1 END) AS curve_points
FROM reported_metrics
WHERE run_id = :run_id
GROUP BY key
ORDER BY key
