-- 0007: a member's read position is kept twice: read_seq, the account's own (its
-- devices, unread counts), and shared_read_seq, the one the other members are
-- shown. A Mark marked Private raises the first alone: the user turned read
-- receipts off (docs/PROTOCOL.md, "Receipts and typing"). Until now every read
-- position was shared, so the shared one starts where the own one is.
ALTER TABLE members ADD COLUMN shared_read_seq INTEGER NOT NULL DEFAULT 0;
UPDATE members SET shared_read_seq = read_seq;
