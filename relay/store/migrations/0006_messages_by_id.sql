-- 0006: the index that makes resends idempotent is keyed by message id first.
-- Clients make time-ordered message ids (ids.NewOrdered: Unix milliseconds, then
-- random bits), so new entries land at the index's end — one or two leaf pages per
-- group commit — instead of one random leaf per message, as (chat_no, msg_id) with
-- random ids did (docs/PERFORMANCE.md, "Time-ordered message ids"). Random ids from
-- older clients stay valid: they are checked the same way, only slower to insert.
-- The uniqueness is the same pair; ON CONFLICT (chat_no, msg_id) still finds it.
DROP INDEX messages_msg;
CREATE UNIQUE INDEX messages_msg ON messages (msg_id, chat_no);
