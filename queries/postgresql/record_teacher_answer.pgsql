-- queries/record_teacher_answer.sql in PostgreSQL's dialect: the clock as SQLite's strftime
-- writes it.
INSERT INTO teacher_answers (teacher, input_hash, answer, created_at)
VALUES (:teacher, :input_hash, :answer, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
ON CONFLICT (teacher, input_hash) DO NOTHING
