-- Relay schema for PostgreSQL, version 1: the SQLite schema of migrations/0001–0004
-- in one step (docs/ARCHITECTURE.md, "Relay store"). Ids are 16-byte bytea; times
-- are Unix milliseconds; every ciphertext is opaque to the relay. Sequence numbers
-- are bigint and never negative.

CREATE TABLE accounts (
	id                   bytea PRIMARY KEY,
	public_key           bytea NOT NULL,
	handle               text UNIQUE,
	used_bytes           bigint NOT NULL DEFAULT 0,
	created_at           bigint NOT NULL,
	keys                 bytea,
	device_list          bytea,
	device_list_version  bigint NOT NULL DEFAULT 0
);

CREATE TABLE devices (
	id          bytea PRIMARY KEY,
	account_id  bytea NOT NULL,
	cert        bytea NOT NULL,
	created_at  bigint NOT NULL,
	revoked_at  bigint,
	last_seen   bigint NOT NULL DEFAULT 0
);
CREATE INDEX devices_account ON devices (account_id);

-- no is a compact local key so the large message indexes do not repeat 16-byte ids.
-- A chat's row is what a write transaction locks (SELECT … FOR UPDATE) before it
-- reads the chat's last sequence number, so relays sharing the database number a
-- chat's messages one after another, without gaps.
CREATE TABLE chats (
	no              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              bytea NOT NULL UNIQUE,
	kind            smallint NOT NULL,
	created_by      bytea NOT NULL,
	epoch           bigint NOT NULL DEFAULT 0,
	rotate_pending  boolean NOT NULL DEFAULT false,
	created_at      bigint NOT NULL,
	log_len         bigint NOT NULL DEFAULT 0,
	log_head        bytea,
	head_op         smallint NOT NULL DEFAULT 0
);

CREATE TABLE members (
	chat_no        bigint NOT NULL,
	account_id     bytea NOT NULL,
	role           smallint NOT NULL,
	delivered_seq  bigint NOT NULL DEFAULT 0,
	read_seq       bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (chat_no, account_id)
);
CREATE INDEX members_account ON members (account_id, chat_no);

CREATE TABLE epochs (
	chat_no      bigint NOT NULL,
	epoch        bigint NOT NULL,
	by_device    bytea NOT NULL,
	by_account   bytea NOT NULL,
	server_time  bigint NOT NULL,
	PRIMARY KEY (chat_no, epoch)
);

CREATE TABLE epoch_keys (
	chat_no     bigint NOT NULL,
	account_id  bytea NOT NULL,
	epoch       bigint NOT NULL,
	envelope    bytea NOT NULL,
	PRIMARY KEY (chat_no, account_id, epoch)
);

CREATE TABLE messages (
	chat_no         bigint NOT NULL,
	seq             bigint NOT NULL,
	msg_id          bytea NOT NULL,
	sender_account  bytea NOT NULL,
	sender_device   bytea NOT NULL,
	epoch           bigint NOT NULL,
	server_time     bigint NOT NULL,
	ciphertext      bytea NOT NULL,
	PRIMARY KEY (chat_no, seq)
);
CREATE UNIQUE INDEX messages_msg ON messages (chat_no, msg_id);

CREATE TABLE account_log (
	account_id     bytea NOT NULL,
	seq            bigint NOT NULL,
	record_id      bytea NOT NULL,
	sender_device  bytea NOT NULL,
	server_time    bigint NOT NULL,
	ciphertext     bytea NOT NULL,
	PRIMARY KEY (account_id, seq)
);
CREATE UNIQUE INDEX account_log_record ON account_log (account_id, record_id);

-- seq comes from a sequence: an acknowledged (deleted) item's seq is never reused, so
-- a device's inbox cursor only moves forward. The insert locks the device's row
-- first, so one device's items commit in the order of their numbers.
CREATE TABLE inbox (
	seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	device_id     bytea NOT NULL,
	item_id       bytea NOT NULL,
	from_account  bytea NOT NULL,
	from_device   bytea NOT NULL,
	server_time   bigint NOT NULL,
	ciphertext    bytea NOT NULL
);
CREATE UNIQUE INDEX inbox_item ON inbox (device_id, item_id);
CREATE INDEX inbox_device ON inbox (device_id, seq);

CREATE TABLE chat_log (
	chat_no  bigint NOT NULL,
	seq      bigint NOT NULL,
	record   bytea NOT NULL,
	PRIMARY KEY (chat_no, seq)
);

CREATE TABLE former_members (
	chat_no     bigint NOT NULL,
	account_id  bytea NOT NULL,
	log_until   bigint NOT NULL,
	PRIMARY KEY (chat_no, account_id)
);

CREATE TABLE direct_pairs (
	low      bytea NOT NULL,
	high     bytea NOT NULL,
	chat_no  bigint NOT NULL,
	PRIMARY KEY (low, high)
);

CREATE TABLE prekeys (
	device_id  bytea NOT NULL,
	kind       smallint NOT NULL,
	id         bytea NOT NULL,
	key        bytea NOT NULL,
	PRIMARY KEY (device_id, kind, id)
);
