-- `pare merge`: what this merge did, for its summary line.
SELECT (SELECT count(*) FROM temp.merge_run_map WHERE copy = 1) AS copied,
       (SELECT count(*) FROM temp.merge_run_map WHERE copy = 0) AS present,
       (SELECT count(*) FROM merge_source.runs r
        WHERE r.status = 'running' AND r.id NOT IN (SELECT old_id FROM temp.merge_run_map)) AS running,
       (SELECT count(*) FROM temp.merge_blob_map WHERE present = 0) AS blobs_copied,
       (SELECT count(*) FROM temp.merge_blob_map WHERE present = 1) AS blobs_present
