-- Pare's record, version 1. A released migration is never edited: add 0002_….sql instead.
-- Applied by GRDB's DatabaseMigrator in one transaction, registered under the file's name.
-- Timestamps are UTC ISO 8601 text with milliseconds ("2025-01-31T12:34:56.789Z").

-- A named group of runs (`--experiment`; "default" when none is given).
CREATE TABLE experiments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

-- Base models, by the sha256 of their weights.
CREATE TABLE models (
    hash       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    arch       TEXT NOT NULL CHECK (json_valid(arch)),
    params     INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL
) STRICT;

-- Datasets, by the sha256 of their content.
CREATE TABLE datasets (
    hash     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    rows     INTEGER NOT NULL,
    features INTEGER NOT NULL,
    classes  INTEGER NOT NULL
) STRICT;

-- One compression run. 'running' until finished or failed in one transaction; a crash
-- leaves it 'running', never 'finished'.
CREATE TABLE runs (
    id                 INTEGER PRIMARY KEY,
    experiment_id      INTEGER NOT NULL REFERENCES experiments(id),
    name               TEXT,
    method             TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
    config             TEXT NOT NULL CHECK (json_valid(config)),   -- canonical JSON, sorted keys, includes "method"
    config_hash        TEXT NOT NULL,                              -- sha256 of `config`, for sweep resume
    base_model_hash    TEXT REFERENCES models(hash),
    train_dataset_hash TEXT REFERENCES datasets(hash),
    test_dataset_hash  TEXT REFERENCES datasets(hash),
    calib_dataset_hash TEXT REFERENCES datasets(hash),
    parent_run_id      INTEGER REFERENCES runs(id),                -- the previous stage of a pipeline
    started_at         TEXT NOT NULL,
    ended_at           TEXT,
    error              TEXT,                                       -- set when status = 'failed'
    notes              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(notes)),  -- JSON array of strings
    pare_version       TEXT NOT NULL
) STRICT;
CREATE INDEX runs_status_method ON runs (status, method);
CREATE INDEX runs_config_hash   ON runs (config_hash, status);
CREATE INDEX runs_parent        ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_experiment    ON runs (experiment_id);

-- The config flattened, typed: INTEGER (also booleans, 0/1), REAL or TEXT, so numbers compare
-- as numbers. The method is also stored here under the key 'method'.
CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  ANY CHECK (typeof(value) IN ('integer', 'real', 'text')),
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;
-- No (key, value) index: filters test a run's params through the primary key (run_id, key),
-- and such an index would cost every recorded run ~8 more WAL pages (measured: 37 → 29 pages
-- per run without it). A later migration can add it when a query drives from params.

-- Step 0 holds a run's final value; steps > 0 hold curves (e.g. training loss per epoch).
-- NaN is stored as NULL.
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL DEFAULT 0,
    value  REAL,
    PRIMARY KEY (run_id, key, step)
) STRICT, WITHOUT ROWID;
CREATE INDEX metrics_key_step_value ON metrics (key, step, value, run_id);

-- Tensor payloads, content-addressed by sha256 and shared across runs.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
) STRICT;

-- A run's stored tensors: how to decode them, and which blob holds the bytes.
CREATE TABLE tensors (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL,                        -- the order the run recorded them in
    encoding  TEXT NOT NULL,
    dtype     TEXT NOT NULL,
    shape     TEXT NOT NULL CHECK (json_valid(shape)),   -- JSON array of integers
    meta      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),  -- JSON object of strings
    blob_hash TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (run_id, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX tensors_blob ON tensors (blob_hash);
