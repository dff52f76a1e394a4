-- `pare merge`: which runs of the other database are new here (by uid: a run is never
-- duplicated) and their new ids, after this database's last id, in the other's id order, so a
-- pipeline's stages keep their order.
INSERT INTO temp.merge_run_map (old_id, new_id, copy)
SELECT o.id,
       coalesce(t.id, (SELECT coalesce(max(id), 0) FROM main.runs)
                      + row_number() OVER (PARTITION BY t.id IS NULL ORDER BY o.id)),
       t.id IS NULL
FROM merge_source.runs o
LEFT JOIN main.runs t ON t.uid = o.uid
WHERE t.id IS NOT NULL OR o.status <> 'running'
