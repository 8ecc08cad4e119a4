-- 0002_graph_index: no social graph in clear.
--
-- Account and device ids are hashes of public keys the relay publishes, and a
-- 1:1 chat's id is derived from its two accounts, so with ids in clear anyone
-- holding a copy of the file could test "is Bob a contact? does this person
-- talk to Bob?" from public keys alone, and read member lists as rows. From
-- this version on, every column that names an account, a device or a chat
-- holds a graph index tag instead (HMAC-SHA256 under the "graph-index"
-- subkey, 16 bytes, one domain per column role; vault/graphindex.go), and the
-- real ids are sealed in the rows' data. docs/ARCHITECTURE.md, "What is in
-- clear, and why", lists every column.
--
-- This file renames the columns for what they now hold and adds the chats'
-- membership logs. SQL cannot compute the tags: the Go part of this
-- migration (migrateGraphIndex, vault/graphmigrate.go) runs in the same
-- transaction, replaces every id by its tag and re-seals the rows whose
-- associated data binds the id. A crash or an error anywhere leaves the vault
-- at version 1, as it was.
--
-- RENAME COLUMN also renames the column in the CHECKs, indexes and the
-- foreign keys that name it (chats.id in the REFERENCES clauses).

ALTER TABLE accounts RENAME COLUMN id TO tag;

ALTER TABLE devices RENAME COLUMN id TO tag;
ALTER TABLE devices RENAME COLUMN account_id TO owner_tag;

ALTER TABLE contacts RENAME COLUMN account_id TO tag;

ALTER TABLE chats RENAME COLUMN id TO tag;

ALTER TABLE chat_members RENAME COLUMN chat_id TO chat_tag;
ALTER TABLE chat_members RENAME COLUMN account_id TO member_tag;

ALTER TABLE messages RENAME COLUMN chat_id TO chat_tag;
ALTER TABLE outbox RENAME COLUMN chat_id TO chat_tag;
ALTER TABLE epoch_keys RENAME COLUMN chat_id TO chat_tag;
ALTER TABLE drafts RENAME COLUMN chat_id TO chat_tag;

ALTER TABLE sessions RENAME COLUMN peer_device TO peer_tag;

-- Each chat's end-to-end signed membership log, record by record. The
-- records are opaque to the vault and sealed; seq is in clear for order and
-- write-once inserts. An ordinary rowid table: records are up to 64 KiB,
-- which a WITHOUT ROWID table would store inside its index pages.
CREATE TABLE membership_log (
    chat_tag BLOB NOT NULL REFERENCES chats (tag) ON DELETE CASCADE,
    seq      INTEGER NOT NULL CHECK (seq >= 0),
    data     BLOB NOT NULL,
    PRIMARY KEY (chat_tag, seq)
) STRICT;
