-- `pare merge`: every blob a copied run's tensors or a model file new here names.
INSERT INTO temp.merge_blob_map (hash, present)
SELECT needed.hash, EXISTS (SELECT 1 FROM main.blobs b WHERE b.hash = needed.hash)
FROM (SELECT t.blob_hash AS hash
      FROM merge_source.tensors t JOIN temp.merge_run_map m ON m.old_id = t.run_id AND m.copy = 1
      UNION
      SELECT f.blob_hash FROM merge_source.model_files f
      WHERE NOT EXISTS (SELECT 1 FROM main.model_files g WHERE g.model_hash = f.model_hash AND g.name = f.name)) AS needed
