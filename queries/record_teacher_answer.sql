-- One black-box teacher answer; an answer already cached for the same teacher and input stays.
INSERT INTO teacher_answers (teacher, input_hash, answer, created_at)
VALUES (:teacher, :input_hash, :answer, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (teacher, input_hash) DO NOTHING
