-- Pare's record, version 5 (migrations/0005_transformers.sql): large blobs in chunks, a model's
-- files, probes. A blob's chunks are bytea pieces of 16 MiB, as in SQLite.
ALTER TABLE blobs ADD COLUMN chunks BIGINT NOT NULL DEFAULT 0;
CREATE TABLE blob_chunks (
    blob_hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (blob_hash, seq)
);

CREATE TABLE model_files (
    model_hash TEXT NOT NULL REFERENCES models(hash),
    name       TEXT NOT NULL,
    blob_hash  TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (model_hash, name)
);

CREATE TABLE probes (
    model_hash     TEXT NOT NULL REFERENCES models(hash),
    dataset_hash   TEXT NOT NULL REFERENCES datasets(hash),
    probe          TEXT NOT NULL CHECK (probe::jsonb IS NOT NULL),
    train_accuracy DOUBLE PRECISION,
    PRIMARY KEY (model_hash, dataset_hash)
);
