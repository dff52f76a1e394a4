-- `pare gc` on a database with auto_vacuum = incremental: returns every free page to the file system.
PRAGMA incremental_vacuum
