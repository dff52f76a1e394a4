-- Black-box teachers' answers, kept so a rerun of a distillation does not ask the teacher again.
-- A cache, not part of any run's record: keyed by the teacher command exactly as given
-- (`teacher_cmd`) and the input row's hash (hex SHA-256 of its little-endian Float32 bytes);
-- `answer` is the teacher's JSON answer without its id: {"logits": […]}, {"probs": […]} or
-- {"label": k}.
CREATE TABLE teacher_answers (
    teacher    TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    answer     TEXT NOT NULL CHECK (json_valid(answer)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (teacher, input_hash)
) STRICT, WITHOUT ROWID;
