-- queries/show_params.sql in PostgreSQL's dialect: a param's value is its typed column
-- (migrations/postgresql/0001), which the store reads back as one value.
SELECT key, value_integer, value_real, value_text FROM params WHERE run_id = :run_id ORDER BY key
