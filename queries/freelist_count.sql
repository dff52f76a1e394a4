-- `pare gc`: how many pages of the file are free (0: VACUUM would reclaim nothing).
PRAGMA freelist_count
