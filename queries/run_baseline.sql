-- `pare ui` run page: the distillation baseline a run names in its `baseline_run` param (its
-- student trained alone, Recorder.link), when that run is still recorded.
SELECT runs.id, runs.name, runs.method, runs.status
FROM params p JOIN runs ON runs.id = p.value
WHERE p.run_id = :run_id AND p.key = 'baseline_run'
