-- `pare rm`: the runs whose param `baseline_run` names this run as their companion baseline
-- (a distillation run's student trained alone, Recorder.link); they go when it goes.
SELECT run_id AS id FROM params WHERE key = 'baseline_run' AND value = :id ORDER BY run_id
