-- `pare merge` into this store: black-box teachers' cached answers, by teacher command and input
-- hash, with the other database's times (:rows).
INSERT INTO teacher_answers (teacher, input_hash, answer, created_at)
SELECT r.teacher, r.input_hash, r.answer, r.created_at
FROM json_to_recordset(:rows::json) AS r(teacher text, input_hash text, answer text, created_at text)
ON CONFLICT (teacher, input_hash) DO NOTHING
