-- `pare merge` into this store: the other database's runs already here, by uid (:uids, a JSON
-- array of text), with their ids here, which the other's lineage then points at.
SELECT uid, id FROM runs WHERE uid IN (SELECT jsonb_array_elements_text(:uids::jsonb))
