-- `pare gc`: bytes per page, to weigh the free pages against the file.
PRAGMA page_size
