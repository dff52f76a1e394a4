-- `pare show RUN`: each metric's final (step 0) value, how many curve points (step > 0) it has,
-- and who measured it: 'pare' (Pare's own evaluation) or 'user' (reported by `pare log` or an
-- import).
SELECT key,
       max(CASE WHEN step = 0 THEN value END) AS value,
       count(CASE WHEN step > 0 THEN 1 END) AS curve_points,
       CASE WHEN max(reported) = 1 THEN 'user' ELSE 'pare' END AS measured_by
FROM metrics
WHERE run_id = :run_id
GROUP BY key
ORDER BY key
