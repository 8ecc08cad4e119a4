-- 0003: as migrations/0006_messages_by_id.sql: the index that makes resends
-- idempotent is keyed by message id first, so clients' time-ordered ids
-- (ids.NewOrdered) append to its end instead of landing on a random leaf each
-- (docs/PERFORMANCE.md, "Time-ordered message ids"). Older clients' random ids stay
-- valid. ON CONFLICT (chat_no, msg_id) infers the index whatever its column order.
DROP INDEX messages_msg;
CREATE UNIQUE INDEX messages_msg ON messages (msg_id, chat_no);
