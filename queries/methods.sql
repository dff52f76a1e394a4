-- `pare ui` /api/methods: each method recorded, with how many runs it has and how many finished.
SELECT method, count(*) AS runs, sum(status = 'finished') AS finished
FROM runs
GROUP BY method
ORDER BY method
