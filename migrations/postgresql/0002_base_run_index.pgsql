-- Pare's record, version 2 (migrations/0002_base_run_index.sql): a run's base run in one seek.
CREATE INDEX runs_base_model ON runs (base_model_hash, method, status);
