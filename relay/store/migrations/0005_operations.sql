-- 0005: operations (docs/RELAY.md, "Administration" and "Retention").
-- disabled_at: when the relay's operator disabled the account (Unix milliseconds;
-- NULL while enabled); its devices are refused.
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;

-- The retention sweep deletes the oldest undelivered items first.
CREATE INDEX inbox_time ON inbox (server_time);
