-- Pare's record, version 5: what transformers need.
--
-- Large tensors in pieces. SQLite refuses a blob over 1 GB (an LLM's embedding matrix can be
-- larger), and writing or reading one piece at a time keeps memory near one piece. A blob with
-- chunks > 0 has an empty `data`; its bytes are its chunks' data concatenated in seq order.
ALTER TABLE blobs ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
CREATE TABLE blob_chunks (
    blob_hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (blob_hash, seq)
) STRICT, WITHOUT ROWID;

-- Files a base model needs besides its weights, by name: `config.json` (the architecture as
-- Hugging Face writes it) and `tokenizer.json`, so `generate --run`, `embed --run` and
-- `export-model` work from the record alone.
CREATE TABLE model_files (
    model_hash TEXT NOT NULL REFERENCES models(hash),
    name       TEXT NOT NULL,
    blob_hash  TEXT NOT NULL REFERENCES blobs(hash),
    PRIMARY KEY (model_hash, name)
) STRICT, WITHOUT ROWID;

-- A linear probe (logistic regression) trained once on a base encoder's sentence embeddings
-- of a labelled training set, then applied unchanged to every compressed copy's embeddings:
-- the head stays, the encoder is compressed. JSON as PareNN's LinearProbe encodes it.
CREATE TABLE probes (
    model_hash   TEXT NOT NULL REFERENCES models(hash),
    dataset_hash TEXT NOT NULL REFERENCES datasets(hash),
    probe        TEXT NOT NULL CHECK (json_valid(probe)),
    train_accuracy REAL,
    PRIMARY KEY (model_hash, dataset_hash)
) STRICT, WITHOUT ROWID;
