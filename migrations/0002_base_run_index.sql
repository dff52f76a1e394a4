-- Pare's record, version 2: finding a run's base run (the latest finished `none` run on the same
-- base model) by one index seek. `pare summary` and the filter's `base.X` fields look it up per
-- run; without this index each lookup walks every finished `none` run.
-- The implicit rowid suffix orders equal keys by run id, so "latest" is the last entry.
CREATE INDEX runs_base_model ON runs (base_model_hash, method, status);
