-- Pare's record, version 1, in PostgreSQL's dialect: the same tables and columns as
-- migrations/0001_init.sql (read it for what each one holds), so every query answers the same
-- rows on both stores. A released migration is never edited: add the next file, in both folders.
-- Applied in one transaction under an advisory lock, registered in pare_migrations by name.
-- Timestamps are UTC ISO 8601 text with milliseconds, as in SQLite, so rows compare equal.
-- SQLite's ANY-typed param value becomes three columns, exactly one of them set.

CREATE TABLE experiments (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE models (
    hash       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    arch       TEXT NOT NULL CHECK (arch::jsonb IS NOT NULL),
    params     BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL
);

CREATE TABLE datasets (
    hash     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    rows     BIGINT NOT NULL,
    features BIGINT NOT NULL,
    classes  BIGINT NOT NULL
);

CREATE TABLE runs (
    id                 BIGSERIAL PRIMARY KEY,
    experiment_id      BIGINT NOT NULL REFERENCES experiments(id),
    name               TEXT,
    method             TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
    config             TEXT NOT NULL CHECK (config::jsonb IS NOT NULL),
    config_hash        TEXT NOT NULL,
    base_model_hash    TEXT REFERENCES models(hash),
    train_dataset_hash TEXT REFERENCES datasets(hash),
    test_dataset_hash  TEXT REFERENCES datasets(hash),
    calib_dataset_hash TEXT REFERENCES datasets(hash),
    parent_run_id      BIGINT REFERENCES runs(id),
    started_at         TEXT NOT NULL,
    ended_at           TEXT,
    error              TEXT,
    notes              TEXT NOT NULL DEFAULT '[]' CHECK (notes::jsonb IS NOT NULL),
    pare_version       TEXT NOT NULL
);
CREATE INDEX runs_status_method ON runs (status, method);
CREATE INDEX runs_config_hash   ON runs (config_hash, status);
CREATE INDEX runs_parent        ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_experiment    ON runs (experiment_id);

-- value_number is the numeric reading filters compare (NULL for text).
CREATE TABLE params (
    run_id        BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value_integer BIGINT,
    value_real    DOUBLE PRECISION,
    value_text    TEXT,
    value_number  DOUBLE PRECISION GENERATED ALWAYS AS (coalesce(value_integer::double precision, value_real)) STORED,
    CHECK (num_nonnulls(value_integer, value_real, value_text) = 1),
    PRIMARY KEY (run_id, key)
);

CREATE TABLE metrics (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   BIGINT NOT NULL DEFAULT 0,
    value  DOUBLE PRECISION,
    PRIMARY KEY (run_id, key, step)
);
CREATE INDEX metrics_key_step_value ON metrics (key, step, value, run_id);

CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL
);

CREATE TABLE tensors (
    run_id    BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    position  BIGINT NOT NULL,
    encoding  TEXT NOT NULL,
    dtype     TEXT NOT NULL,
    shape     TEXT NOT NULL CHECK (shape::jsonb IS NOT NULL),
    meta      TEXT NOT NULL DEFAULT '{}' CHECK (meta::jsonb IS NOT NULL),
    blob_hash TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (run_id, name)
);
CREATE INDEX tensors_blob ON tensors (blob_hash);
