-- 0001_init: the whole vault schema, designed for the features to come.
--
-- Rules for every table (docs/ARCHITECTURE.md, "Vault"):
--   * In clear only what SQL must see: opaque random 16-byte ids, foreign
--     keys, sequence numbers and ordering columns, expiry times for the
--     sweep. Everything else is in the one sealed column `data`, whose
--     associated data binds the table, the column purpose, the row id and the
--     record format version.
--   * Ids are random, so they reveal nothing but identity of rows.
--   * Times in clear are Unix microseconds, 0 for "none".
--   * Children of a message (attachments, timers, search tokens) and of a
--     chat (members, messages, epoch keys, drafts, outbox) go with it
--     (ON DELETE CASCADE); the caller checkpoints the WAL after a wipe.
--
-- The runner wraps this file in one transaction and sets user_version.

-- "HUSH" in ASCII: lets Open tell a Hush vault from any other SQLite file by
-- its header alone.
PRAGMA application_id = 1213551432;

-- The key slot: the wrapped master key and what unwraps it. Open reads this
-- table before any migration runs (a wrong passphrase must change nothing on
-- disk), so its shape is frozen: later migrations may add tables, never
-- change this one.
CREATE TABLE keyslot (
    slot        INTEGER PRIMARY KEY CHECK (slot = 1),
    vault_id    BLOB NOT NULL CHECK (length(vault_id) = 16),
    kdf_params  BLOB NOT NULL,
    salt        BLOB NOT NULL,
    wrapped_key BLOB NOT NULL
) STRICT;

-- The user's own accounts (normally one).
CREATE TABLE accounts (
    id   BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    data BLOB NOT NULL
) STRICT;

-- Devices, own and other people's; account_id is not a foreign key because
-- other people's accounts live in contacts, not accounts.
CREATE TABLE devices (
    id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    account_id BLOB NOT NULL CHECK (length(account_id) = 16),
    data       BLOB NOT NULL
) STRICT;
CREATE INDEX devices_by_account ON devices (account_id);

-- Other people's accounts with their pinned keys.
CREATE TABLE contacts (
    account_id BLOB PRIMARY KEY NOT NULL CHECK (length(account_id) = 16),
    data       BLOB NOT NULL
) STRICT;

-- Chats of every kind (the kind is sealed). pinned and last_activity are in
-- clear because the chat list is ordered by them.
CREATE TABLE chats (
    id            BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    pinned        INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    last_activity INTEGER NOT NULL DEFAULT 0,
    data          BLOB NOT NULL
) STRICT;
CREATE INDEX chats_by_order ON chats (pinned DESC, last_activity DESC, id);

-- Members with their roles (sealed); rowid keeps the given member order.
CREATE TABLE chat_members (
    chat_id    BLOB NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    account_id BLOB NOT NULL CHECK (length(account_id) = 16),
    data       BLOB NOT NULL,
    UNIQUE (chat_id, account_id)
) STRICT;

-- Messages. local_seq is the local insertion order (rowid); seq is the
-- relay's sequence number, 0 while the message is pending. Pages are read
-- newest first by (pending, seq, local_seq) descending, so pending messages
-- sort after every relayed one, in the order they were written.
CREATE TABLE messages (
    local_seq INTEGER PRIMARY KEY,
    id        BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
    chat_id   BLOB NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
    pending   INTEGER GENERATED ALWAYS AS (seq = 0) VIRTUAL,
    data      BLOB NOT NULL
) STRICT;
CREATE INDEX messages_by_page ON messages (chat_id, pending, seq, local_seq);

-- Records waiting to be sent, oldest first (local_seq). chat_id is NULL for
-- records that belong to no chat (account log).
CREATE TABLE outbox (
    local_seq INTEGER PRIMARY KEY,
    id        BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
    chat_id   BLOB REFERENCES chats (id) ON DELETE CASCADE,
    data      BLOB NOT NULL
) STRICT;
CREATE INDEX outbox_by_chat ON outbox (chat_id);

-- Sync positions per scope (a chat log, the account log, a device inbox).
-- The scope name is secret-ish, so the key is its keyed lookup tag.
CREATE TABLE cursors (
    scope_tag BLOB PRIMARY KEY NOT NULL CHECK (length(scope_tag) = 32),
    data      BLOB NOT NULL
) STRICT;

-- Chat keys per epoch; write-once.
CREATE TABLE epoch_keys (
    chat_id BLOB NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    epoch   INTEGER NOT NULL CHECK (epoch >= 0),
    data    BLOB NOT NULL,
    PRIMARY KEY (chat_id, epoch)
) STRICT, WITHOUT ROWID;

-- Double Ratchet state per peer device (secret chats).
CREATE TABLE sessions (
    peer_device BLOB PRIMARY KEY NOT NULL CHECK (length(peer_device) = 16),
    data        BLOB NOT NULL
) STRICT;

-- This device's signed and one-time prekeys (private halves).
CREATE TABLE prekeys (
    id   BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    data BLOB NOT NULL
) STRICT;

-- Attachment metadata and per-file keys; the files live outside the
-- database. Deleting the row shreds the file's key.
CREATE TABLE attachments (
    id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    message_id BLOB NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    data       BLOB NOT NULL
) STRICT;
CREATE INDEX attachments_by_message ON attachments (message_id);

-- Preferences; the name is hidden behind its lookup tag.
CREATE TABLE settings (
    name_tag BLOB PRIMARY KEY NOT NULL CHECK (length(name_tag) = 32),
    data     BLOB NOT NULL
) STRICT;

-- One draft per chat.
CREATE TABLE drafts (
    chat_id BLOB PRIMARY KEY NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    data    BLOB NOT NULL
) STRICT;

-- Self-destruct timers. expires_at is in clear so the sweep can find what
-- is due without unsealing anything.
CREATE TABLE timers (
    message_id BLOB PRIMARY KEY NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX timers_by_expiry ON timers (expires_at);

-- Blind search index: keyed hashes of normalised tokens (subkey
-- "blind-index"), never the tokens. Secret-chat messages are never indexed.
CREATE TABLE search_index (
    token      BLOB NOT NULL CHECK (length(token) = 32),
    message_id BLOB NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (token, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX search_index_by_message ON search_index (message_id);
