-- `pare merge`: black-box teachers' cached answers, by teacher command and input hash.
INSERT INTO main.teacher_answers (teacher, input_hash, answer, created_at)
SELECT teacher, input_hash, answer, created_at FROM merge_source.teacher_answers WHERE true
ON CONFLICT (teacher, input_hash) DO NOTHING
