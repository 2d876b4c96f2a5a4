-- Search cost follows the caller's channels, not the whole store; and the optional edit
-- history.
--
-- Each channel gets a number (search_channels.id) and an FTS5 rowid encodes the message
-- as (number << 32) | (4294967295 - message_id): a channel's messages are one rowid
-- range, newest first in ascending order (FTS5 reads its doclists forwards faster than
-- backwards). A search runs one range query per channel of the caller, so it reads
-- only those channels' entries of the index (store/sqlite/search.py). search_docs, which
-- gave every message a global rowid, is gone: the rowid says the channel and message.
--
-- detail = none: the index keeps which messages hold a trigram, not where. It is about
-- 40% smaller and cheaper to write; a term of more than three characters is asked as
-- its trigrams (all present), and each candidate's text is then checked for the whole
-- term (docs/benchmarks.md, Search).
--
-- indexed_upto: the indexer works through search_pending oldest first, and message ids
-- grow within a channel, so a message is in the index exactly when its id is at most
-- this. The update trigger keeps the index in step for those only (a contentless index
-- forgets a row given its old text exactly); a pending one is read at its current state.
-- An end-to-end encrypted body (U+0001, then opaque JSON) is never indexed.
DROP TRIGGER messages_search_update;
DROP TABLE search_text;
DROP TABLE search_docs;

CREATE TABLE search_channels (
    id INTEGER PRIMARY KEY,
    channel_id TEXT NOT NULL UNIQUE,
    indexed_upto INTEGER NOT NULL DEFAULT 0
);
CREATE VIRTUAL TABLE search_text USING fts5(
    text, content = '', tokenize = 'trigram', detail = none
);
-- Idle-time merges (store/sqlite/indexer.py) join two segments of a level, so the index
-- keeps few segments: a query seeks once per segment.
INSERT INTO search_text (search_text, rank) VALUES ('usermerge', 2);

-- Everything stored is indexed here, once (the pending tail included), in ascending
-- rowid order (FTS5 starts a new segment whenever a rowid is not above the last), then
-- merged to one segment.
DELETE FROM search_pending;
INSERT INTO search_channels (channel_id, indexed_upto)
SELECT channel_id, max(message_id) FROM messages GROUP BY channel_id;
INSERT INTO search_text (rowid, text)
SELECT (c.id << 32) | (4294967295 - m.message_id), m.text
  FROM search_channels c JOIN messages m ON m.channel_id = c.channel_id
 WHERE NOT m.deleted AND substr(m.text, 1, 1) <> char(1) AND m.message_id <= 4294967295
 ORDER BY 1;
INSERT INTO search_text (search_text) VALUES ('optimize');

CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted ON messages
BEGIN
    INSERT INTO search_text (search_text, rowid, text)
    SELECT 'delete', (c.id << 32) | (4294967295 - OLD.message_id), OLD.text
      FROM search_channels c
     WHERE c.channel_id = OLD.channel_id AND OLD.message_id <= c.indexed_upto
       AND NOT OLD.deleted AND substr(OLD.text, 1, 1) <> char(1)
       AND OLD.message_id <= 4294967295;
    INSERT INTO search_text (rowid, text)
    SELECT (c.id << 32) | (4294967295 - NEW.message_id), NEW.text
      FROM search_channels c
     WHERE c.channel_id = NEW.channel_id AND NEW.message_id <= c.indexed_upto
       AND NOT NEW.deleted AND substr(NEW.text, 1, 1) <> char(1)
       AND NEW.message_id <= 4294967295;
END;

-- Previous versions of edited messages, kept only while the server's
-- keep_edit_history setting is on, read only by server admins; a delete erases them.
CREATE TABLE message_versions (
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    mentions TEXT NOT NULL,
    -- when this text stopped being current (the edit that replaced it)
    replaced_at INTEGER NOT NULL,
    -- when it became current: the send, or the previous edit
    since INTEGER NOT NULL,
    PRIMARY KEY (channel_id, message_id, version)
) WITHOUT ROWID;
