-- `pare merge` into a PostgreSQL store: the other database's datasets.
SELECT hash, name, rows, features, classes FROM datasets ORDER BY hash
