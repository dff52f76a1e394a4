-- `pare show RUN`: each metric's final (step 0) value and how many curve points (step > 0) it has.
SELECT key,
       max(CASE WHEN step = 0 THEN value END) AS value,
       sum(step > 0) AS curve_points
FROM metrics
WHERE run_id = :run_id
GROUP BY key
ORDER BY key
