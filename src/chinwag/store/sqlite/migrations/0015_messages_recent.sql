-- New messages are appended to `messages_recent` and moved into the history,
-- `messages_main`, by the writer's background step, a conversation's rows together
-- (store/sqlite/history.py says why). `messages` becomes a view of both, so every
-- reader sees each message in exactly one of them.
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

-- A send writes the view; this trigger writes the row where the writer's rule says
-- (history.py: `messages_recent`, or straight into `messages_main` at window 16, where
-- a commit writes each conversation's page once for many messages anyway), with what
-- the send's triggers did before. A move writes `messages_main` itself and fires none.
CREATE TABLE history_route (id INTEGER PRIMARY KEY CHECK (id = 1), direct INTEGER NOT NULL);
INSERT INTO history_route VALUES (1, 0);

DROP TRIGGER messages_sender_reads;
DROP TRIGGER messages_search_insert;

CREATE TRIGGER messages_insert INSTEAD OF INSERT ON messages
BEGIN
    INSERT INTO messages_recent (channel_id, message_id, sender_id, device_id, client_msg_id,
                                 text, created_at, reply_to, mentions)
    SELECT NEW.channel_id, NEW.message_id, NEW.sender_id, NEW.device_id, NEW.client_msg_id,
           NEW.text, NEW.created_at, NEW.reply_to, coalesce(NEW.mentions, '')
     WHERE NOT (SELECT direct FROM history_route);
    INSERT INTO messages_main (channel_id, message_id, sender_id, device_id, client_msg_id,
                               text, created_at, reply_to, mentions)
    SELECT NEW.channel_id, NEW.message_id, NEW.sender_id, NEW.device_id, NEW.client_msg_id,
           NEW.text, NEW.created_at, NEW.reply_to, coalesce(NEW.mentions, '')
     WHERE (SELECT direct FROM history_route);
    -- migrations/0012's sender marker, and 0007's queue entry for the search index
    UPDATE members SET last_read_message_id = NEW.message_id
     WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id
       AND last_read_message_id < NEW.message_id - 32;
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
