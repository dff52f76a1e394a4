-- Creates the experiment unless it exists (then experiment_id.sql finds its id).
INSERT INTO experiments (name, created_at)
VALUES (:name, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (name) DO NOTHING
