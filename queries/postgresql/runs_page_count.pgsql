-- queries/runs_page_count.sql in PostgreSQL's dialect (a WHERE needs a boolean, not 1).
SELECT count(*) FROM runs WHERE /* where */ true
