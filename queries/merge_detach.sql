-- `pare merge`: lets go of the other database once its transaction has ended.
DETACH DATABASE merge_source
