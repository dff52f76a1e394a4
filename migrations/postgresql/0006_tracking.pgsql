-- Pare's record, version 6 (migrations/0006_tracking.sql): a global run id, the run's source,
-- metrics reported by another tool, tags.
ALTER TABLE runs ADD COLUMN uid TEXT;
UPDATE runs SET uid = 'legacy:' || id || ':' || started_at || ':' || config_hash WHERE uid IS NULL;
CREATE UNIQUE INDEX runs_uid ON runs (uid);

ALTER TABLE runs ADD COLUMN source TEXT NOT NULL DEFAULT 'pare';

ALTER TABLE metrics ADD COLUMN reported SMALLINT NOT NULL DEFAULT 0 CHECK (reported IN (0, 1));

CREATE TABLE reported_metrics (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   BIGINT NOT NULL DEFAULT 0,
    value  DOUBLE PRECISION,
    PRIMARY KEY (run_id, key, step)
);

CREATE TABLE tags (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX tags_key_value ON tags (key, value);
