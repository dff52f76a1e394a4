-- queries/append_note.sql in PostgreSQL's dialect: notes is JSON text, appended as jsonb.
UPDATE runs SET notes = (notes::jsonb || jsonb_build_array(:note::text))::text WHERE id = :run_id
