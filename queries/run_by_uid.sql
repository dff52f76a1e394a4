-- `pare log --from`: whether a run with this global identity is recorded already, so logging
-- the same file again records nothing twice.
SELECT id FROM runs WHERE uid = :uid
