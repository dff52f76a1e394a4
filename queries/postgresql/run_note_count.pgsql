-- queries/run_note_count.sql in PostgreSQL's dialect.
SELECT jsonb_array_length(notes::jsonb) FROM runs WHERE id = :run_id
