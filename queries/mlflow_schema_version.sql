-- The alembic revision of an MLflow tracking database: its schema version, which must be one
-- Pare has read (MLflowTrackingDB.knownSchemaVersions).
SELECT version_num FROM alembic_version
