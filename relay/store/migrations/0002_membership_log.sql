-- 0002: end-to-end membership logs, signed account keys, and one direct chat per pair
-- of accounts (docs/SECURITY.md, "Membership log").

-- The account's signed keys record (identity.IssueAccountKeys); NULL until the
-- account publishes one.
ALTER TABLE accounts ADD COLUMN keys BLOB;

-- The membership log's length, the hash of its newest record and that record's op,
-- which is all the relay needs to check the next record and who may put an epoch.
ALTER TABLE chats ADD COLUMN log_len INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN log_head BLOB;
ALTER TABLE chats ADD COLUMN head_op INTEGER NOT NULL DEFAULT 0;

-- The records, as signed; seq 0 is the chat's first.
CREATE TABLE chat_log (
	chat_no  INTEGER NOT NULL,
	seq      INTEGER NOT NULL,
	record   BLOB NOT NULL,
	PRIMARY KEY (chat_no, seq)
) WITHOUT ROWID;

-- Accounts that left or were removed read the log up to the record that removed
-- them (seq < log_until), so they can check it themselves.
CREATE TABLE former_members (
	chat_no     INTEGER NOT NULL,
	account_id  BLOB NOT NULL,
	log_until   INTEGER NOT NULL,
	PRIMARY KEY (chat_no, account_id)
) WITHOUT ROWID;

-- The direct chat of two accounts (low < high, compared as bytes): a second create
-- for the pair answers with this one.
CREATE TABLE direct_pairs (
	low      BLOB NOT NULL,
	high     BLOB NOT NULL,
	chat_no  INTEGER NOT NULL,
	PRIMARY KEY (low, high)
) WITHOUT ROWID;

INSERT OR IGNORE INTO direct_pairs (low, high, chat_no)
	SELECT min(m.account_id), max(m.account_id), m.chat_no
	FROM members m JOIN chats c ON c.no = m.chat_no
	WHERE c.kind = 1
	GROUP BY m.chat_no HAVING count(*) = 2;
