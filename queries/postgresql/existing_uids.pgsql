-- queries/existing_uids.sql in PostgreSQL's dialect: :uids is a JSON array of text.
SELECT uid FROM runs WHERE uid IN (SELECT jsonb_array_elements_text(:uids::jsonb))
