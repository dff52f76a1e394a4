-- `pare merge`: the run map is only for one merge.
DROP TABLE IF EXISTS temp.merge_run_map
