-- queries/runs_page_rows.sql in PostgreSQL's dialect: :ids and :interrupted are JSON arrays.
SELECT runs.id, runs.name, runs.method,
       CASE WHEN runs.status = 'running'
                 AND runs.id IN (SELECT jsonb_array_elements_text(:interrupted::jsonb)::bigint)
            THEN 'interrupted' ELSE runs.status END AS status,
       runs.started_at
FROM runs WHERE runs.id IN (SELECT jsonb_array_elements_text(:ids::jsonb)::bigint)
