-- `pare merge` into a PostgreSQL store: the other database's base models.
SELECT hash, name, arch, params, size_bytes FROM models ORDER BY hash
