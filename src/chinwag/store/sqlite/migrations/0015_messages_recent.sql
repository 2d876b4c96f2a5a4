-- New messages are appended to `messages_recent` and moved into the history,
-- `messages_main`, by the writer's background step, a conversation's rows together
-- (store/sqlite/history.py says why). `messages` becomes a view of both, so every
-- reader sees each message in exactly one of them; what writes the history names the
-- table.
ALTER TABLE messages RENAME TO messages_main;

CREATE TABLE messages_recent (
    id INTEGER PRIMARY KEY,
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    sender_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    reply_to INTEGER,
    mentions TEXT NOT NULL DEFAULT '',
    edited_at INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0
);
-- Small (the rows waiting), so a commit's entries share its few leaves.
CREATE UNIQUE INDEX messages_recent_key ON messages_recent (channel_id, message_id);

CREATE VIEW messages AS
SELECT channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at,
       reply_to, mentions, edited_at, deleted
  FROM messages_main
UNION ALL
SELECT channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at,
       reply_to, mentions, edited_at, deleted
  FROM messages_recent;

-- A send's triggers follow it to the table it is written to; a move into the history
-- fires none.
DROP TRIGGER messages_sender_reads;
DROP TRIGGER messages_search_insert;

CREATE TRIGGER messages_sender_reads AFTER INSERT ON messages_recent
BEGIN
    UPDATE members SET last_read_message_id = NEW.message_id
     WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id
       AND last_read_message_id < NEW.message_id - 32;
END;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages_recent
BEGIN
    INSERT INTO search_pending (channel_id, message_id) VALUES (NEW.channel_id, NEW.message_id);
END;

-- An edit or delete of a message still waiting is queued for the index as one in the
-- history is (migrations/0013).
CREATE TRIGGER messages_recent_search_update AFTER UPDATE OF text, deleted ON messages_recent
WHEN OLD.text IS NOT NEW.text OR OLD.deleted IS NOT NEW.deleted
BEGIN
    INSERT INTO search_pending (channel_id, message_id, edit, old_text)
    VALUES (NEW.channel_id, NEW.message_id, 1,
            CASE WHEN NOT OLD.deleted AND substr(OLD.text, 1, 1) <> char(1)
                 THEN OLD.text END);
END;
