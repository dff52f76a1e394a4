-- queries/teacher_answers.sql in PostgreSQL's dialect: :input_hashes a jsonb array.
SELECT a.input_hash AS input_hash, a.answer AS answer
FROM jsonb_array_elements_text(:input_hashes::jsonb) AS k(value)
JOIN teacher_answers a ON a.teacher = :teacher AND a.input_hash = k.value
