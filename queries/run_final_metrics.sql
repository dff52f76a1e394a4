-- A run's final (step 0) metrics, for the table `pare sweep` prints (metrics primary key).
SELECT key, value FROM metrics WHERE run_id = :run_id AND step = 0
