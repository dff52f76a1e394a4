-- `pare note RUN TEXT`: appends one string to the run's notes (a JSON array, shown by `pare show`).
UPDATE runs SET notes = json_insert(notes, '$[#]', :note) WHERE id = :run_id
