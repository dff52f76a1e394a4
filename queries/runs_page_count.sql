-- `pare ui` runs page: how many runs match the filter (for "runs 101–200 of N").
SELECT count(*) FROM runs WHERE /* where */ 1
