-- `pare ui` runs page: one page of run ids by id (newest first by default; `/* order */ DESC`
-- becomes ASC). Walks the rowid in order, so LIMIT/OFFSET stops after offset + limit rows.
SELECT runs.id AS id
FROM runs
WHERE /* where */ 1
ORDER BY runs.id /* order */ DESC
LIMIT :limit OFFSET :offset
