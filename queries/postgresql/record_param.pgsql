-- queries/record_param.sql in PostgreSQL's dialect: the typed value in the column of its type
-- (exactly one is bound; the others are NULL).
INSERT INTO params (run_id, key, value_integer, value_real, value_text)
VALUES (:run_id, :key, :value_integer, :value_real, :value_text)
