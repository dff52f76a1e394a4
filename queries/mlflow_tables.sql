-- The tables of a file `pare import mlflow --tracking-db` was given, to tell MLflow's backend
-- store (alembic_version, experiments, runs, params, metrics, tags) from any other SQLite file.
SELECT name FROM sqlite_master WHERE type = 'table'
