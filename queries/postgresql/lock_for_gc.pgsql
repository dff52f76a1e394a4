-- `pare gc` on a PostgreSQL store, first in its transaction: EXCLUSIVE conflicts with the locks
-- every writer takes on these tables (ROW EXCLUSIVE to insert, ROW SHARE for a foreign-key check
-- on a row it names), so gc waits for the writers in flight, sees what they committed, and holds
-- new ones until it commits: nothing it finds unused is named meanwhile. Readers go on (a plain
-- SELECT's ACCESS SHARE does not conflict). SQLite needs no twin: its writer holds the file.
LOCK TABLE models, datasets, blobs IN EXCLUSIVE MODE
