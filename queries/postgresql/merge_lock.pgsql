-- `pare merge` into this store: one merge at a time (until its transaction ends), so two hosts
-- merging the same shard at once copy its runs once: the second finds them by uid.
SELECT pg_advisory_xact_lock(hashtext('pare merge'))
