-- 0002_chat_log: each chat's end-to-end membership log (docs/SECURITY.md,
-- "Membership log"): the records as received, sealed; seq in clear for order.
CREATE TABLE chat_log (
    chat_id BLOB NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL CHECK (seq >= 0),
    data    BLOB NOT NULL,
    PRIMARY KEY (chat_id, seq)
) STRICT, WITHOUT ROWID;
