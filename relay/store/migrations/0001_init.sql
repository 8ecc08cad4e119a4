-- Relay schema, version 1. Ids are 16-byte blobs; times are Unix milliseconds; every
-- ciphertext is opaque to the relay.

CREATE TABLE accounts (
	id          BLOB PRIMARY KEY,
	public_key  BLOB NOT NULL,
	handle      TEXT UNIQUE,
	used_bytes  INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);

CREATE TABLE devices (
	id          BLOB PRIMARY KEY,
	account_id  BLOB NOT NULL,
	cert        BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER
);
CREATE INDEX devices_account ON devices (account_id);

-- no is a compact local key so the large message indexes do not repeat 16-byte ids.
CREATE TABLE chats (
	no              INTEGER PRIMARY KEY,
	id              BLOB NOT NULL UNIQUE,
	kind            INTEGER NOT NULL,
	created_by      BLOB NOT NULL,
	epoch           INTEGER NOT NULL DEFAULT 0,
	rotate_pending  INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL
);

CREATE TABLE members (
	chat_no        INTEGER NOT NULL,
	account_id     BLOB NOT NULL,
	role           INTEGER NOT NULL,
	delivered_seq  INTEGER NOT NULL DEFAULT 0,
	read_seq       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (chat_no, account_id)
) WITHOUT ROWID;
CREATE INDEX members_account ON members (account_id, chat_no);

CREATE TABLE epochs (
	chat_no      INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	by_device    BLOB NOT NULL,
	by_account   BLOB NOT NULL,
	server_time  INTEGER NOT NULL,
	PRIMARY KEY (chat_no, epoch)
) WITHOUT ROWID;

CREATE TABLE epoch_keys (
	chat_no     INTEGER NOT NULL,
	account_id  BLOB NOT NULL,
	epoch       INTEGER NOT NULL,
	envelope    BLOB NOT NULL,
	PRIMARY KEY (chat_no, account_id, epoch)
) WITHOUT ROWID;

CREATE TABLE messages (
	chat_no         INTEGER NOT NULL,
	seq             INTEGER NOT NULL,
	msg_id          BLOB NOT NULL,
	sender_account  BLOB NOT NULL,
	sender_device   BLOB NOT NULL,
	epoch           INTEGER NOT NULL,
	server_time     INTEGER NOT NULL,
	ciphertext      BLOB NOT NULL
);
CREATE UNIQUE INDEX messages_seq ON messages (chat_no, seq);
CREATE UNIQUE INDEX messages_msg ON messages (chat_no, msg_id);

CREATE TABLE account_log (
	account_id     BLOB NOT NULL,
	seq            INTEGER NOT NULL,
	record_id      BLOB NOT NULL,
	sender_device  BLOB NOT NULL,
	server_time    INTEGER NOT NULL,
	ciphertext     BLOB NOT NULL
);
CREATE UNIQUE INDEX account_log_seq ON account_log (account_id, seq);
CREATE UNIQUE INDEX account_log_record ON account_log (account_id, record_id);

-- AUTOINCREMENT: an acknowledged (deleted) item's seq is never reused, so a device's
-- inbox cursor only moves forward.
CREATE TABLE inbox (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id     BLOB NOT NULL,
	item_id       BLOB NOT NULL,
	from_account  BLOB NOT NULL,
	from_device   BLOB NOT NULL,
	server_time   INTEGER NOT NULL,
	ciphertext    BLOB NOT NULL
);
CREATE UNIQUE INDEX inbox_item ON inbox (device_id, item_id);
CREATE INDEX inbox_device ON inbox (device_id, seq);
