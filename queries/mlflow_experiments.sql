-- An MLflow tracking database's live experiments (deleted ones are in MLflow's trash).
SELECT experiment_id, name FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id
