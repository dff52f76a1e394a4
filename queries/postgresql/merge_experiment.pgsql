-- `pare merge` into this store: an experiment of a copied run, by name, with the other
-- database's creation time (one already here is reused as it is).
INSERT INTO experiments (name, created_at) VALUES (:name, :created_at)
ON CONFLICT (name) DO NOTHING
