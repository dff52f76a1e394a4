SELECT id FROM experiments WHERE name = :name
