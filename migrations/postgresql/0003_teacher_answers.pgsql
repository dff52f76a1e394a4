-- Pare's record, version 3 (migrations/0003_teacher_answers.sql): a teacher's answers, cached.
CREATE TABLE teacher_answers (
    teacher    TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    answer     TEXT NOT NULL CHECK (answer::jsonb IS NOT NULL),
    created_at TEXT NOT NULL,
    PRIMARY KEY (teacher, input_hash)
);
