-- Pare's record, version 6: a tracker for runs computed anywhere — by Pare, by another tool
-- (`pare log`), or imported from another tracker (`pare import mlflow`) — and merged across
-- databases (`pare merge`).
--
-- Every run gets a global identity, `uid`, so a run copied into another database (merge) or
-- imported twice is recognised and never duplicated. Pare assigns a new run a random 128-bit
-- hex id; an import uses the source's own id ("mlflow:RUN_UUID"), so re-importing finds it.
-- A run recorded before this migration gets one derived from what it already has, so copies
-- of one older database agree on it (and `pare merge` derives the same for a database not
-- yet migrated): "legacy:ID:STARTED_AT:CONFIG_HASH".
ALTER TABLE runs ADD COLUMN uid TEXT;
UPDATE runs SET uid = 'legacy:' || id || ':' || started_at || ':' || config_hash WHERE uid IS NULL;
CREATE UNIQUE INDEX runs_uid ON runs (uid);

-- Who computed the run: 'pare' (Pare compressed and measured it), 'log' (another tool did,
-- and `pare log` recorded it), 'mlflow' (imported from an MLflow tracking store).
ALTER TABLE runs ADD COLUMN source TEXT NOT NULL DEFAULT 'pare';

-- Who measured a metric: 0 = Pare's own evaluation (the same protocol for every run), 1 = a
-- value the user reported (`pare log --metric`, an MLflow import) that Pare did not measure.
ALTER TABLE metrics ADD COLUMN reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1));

-- A logged run measured by Pare too (`pare log --evaluate`) ranks by Pare's values in
-- `metrics`; what the user reported for it is kept here, exactly as given, beside them.
CREATE TABLE reported_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL DEFAULT 0,
    value  REAL,
    PRIMARY KEY (run_id, key, step)
) STRICT, WITHOUT ROWID;

-- Free-form labels on a run (`pare tag RUN k=v`, `--tag`, MLflow tags), filtered as `tags.k`.
CREATE TABLE tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX tags_key_value ON tags (key, value);
