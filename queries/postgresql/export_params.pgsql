-- queries/export_params.sql in PostgreSQL's dialect: the value typed.
SELECT run_id, key, value_integer, value_real, value_text FROM params ORDER BY run_id, key
