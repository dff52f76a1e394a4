-- `pare merge`: foreign keys are checked at commit, not per row, so the order in which the
-- other database's rows are copied (a parent run after its child) cannot fail the merge;
-- a dangling reference still fails it whole. Resets itself when the transaction ends.
PRAGMA defer_foreign_keys = ON
