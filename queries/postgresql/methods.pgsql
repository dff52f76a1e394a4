-- queries/methods.sql in PostgreSQL's dialect (a comparison is a boolean, not a number to sum).
SELECT method, count(*) AS runs, count(*) FILTER (WHERE status = 'finished') AS finished
FROM runs
GROUP BY method
ORDER BY method
