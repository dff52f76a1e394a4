-- Which of these global run ids (:uids, a JSON array of strings) the database holds already:
-- an import checks all its runs in one query and records only the new ones.
SELECT uid FROM runs WHERE uid IN (SELECT value FROM json_each(:uids))
