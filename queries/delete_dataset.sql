-- `pare gc`: a dataset no run and no probe references.
DELETE FROM datasets WHERE hash = :hash
