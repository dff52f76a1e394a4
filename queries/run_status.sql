SELECT status FROM runs WHERE id = :id
