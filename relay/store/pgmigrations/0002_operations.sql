-- 0002: operations, as migrations/0005_operations.sql (docs/RELAY.md,
-- "Administration" and "Retention"). disabled_at: when the relay's operator
-- disabled the account (Unix milliseconds; NULL while enabled).
ALTER TABLE accounts ADD COLUMN disabled_at bigint;

-- The retention sweep deletes the oldest undelivered items first.
CREATE INDEX inbox_time ON inbox (server_time);
