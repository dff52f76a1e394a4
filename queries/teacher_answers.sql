-- A black-box teacher's cached answers for a list of input hashes (:input_hashes is a JSON
-- array of hex strings, bound as one value). Seeks the primary key (teacher, input_hash).
SELECT a.input_hash AS input_hash, a.answer AS answer
FROM json_each(:input_hashes) AS k
JOIN teacher_answers a ON a.teacher = :teacher AND a.input_hash = k.value
