-- `pare gc`: rewrites the file without its free pages (outside any transaction).
VACUUM
