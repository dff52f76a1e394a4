-- How many notes a run has (after `pare note`).
SELECT json_array_length(notes) FROM runs WHERE id = :run_id
