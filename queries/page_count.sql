-- `pare gc`: pages in the file, free ones included.
PRAGMA page_count
