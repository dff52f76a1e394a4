-- `pare merge`: the other database, attached read-only under the name merge_source. :uri is a
-- `file:` URI with mode=ro (and immutable=1 when no writer has it open), so nothing is ever
-- written to it or beside it. Runs outside a transaction (SQLite refuses ATTACH inside one).
ATTACH DATABASE :uri AS merge_source
