-- 0004: each device's prekeys for secret chats (docs/PROTOCOL.md, "Prekeys"), kept
-- opaque as the device signed them. kind: 1 the signed prekey, 2 the post-quantum
-- last-resort prekey (one of each per device, replaced when published again),
-- 3 X25519 one-time prekeys, 4 ML-KEM-768 one-time prekeys (each handed out once,
-- then deleted).

CREATE TABLE prekeys (
	device_id  BLOB NOT NULL,
	kind       INTEGER NOT NULL,
	id         BLOB NOT NULL,
	key        BLOB NOT NULL,
	PRIMARY KEY (device_id, kind, id)
) WITHOUT ROWID;
