-- `pare merge` into a PostgreSQL store: the other database's cached teacher answers.
SELECT teacher, input_hash, answer, created_at FROM teacher_answers ORDER BY teacher, input_hash
