-- The lowest and highest run ids, for "no run with id N (the database has runs 1…M)".
SELECT min(id) AS first, max(id) AS last FROM runs
