-- Replies, mentions, edits, deletes and reactions; and the search index of messages.
--
-- A deleted message stays as a tombstone (ids, sender, time, deleted = 1) with its text
-- emptied; an edit replaces the text and sets edited_at. Either change, and each
-- reaction change, takes an inbox entry per member (`event` says which change; NULL is
-- a new message), so devices learn of it in cursor order like a message.
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
-- Members named as @username, resolved when the text was stored: ids, space separated.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN event TEXT;

CREATE TABLE reactions (
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    emoji TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, message_id, emoji, user_id)
) WITHOUT ROWID;

-- Search: a projection of the current text of messages that are not deleted.
-- search_docs gives each indexed message a rowid (messages has none); search_text is a
-- contentless FTS5 index with the trigram tokenizer, which finds any substring of three
-- characters or more in any script (no word splitting needed for Chinese or Japanese).
-- Rowids grow with time, so "newest first" is the index's own descending order.
--
-- Indexing a message costs far more than storing it, so a send only appends the
-- message's key to search_pending (one append to a small table); the writer indexes
-- pending messages in its own short transactions when no sends are waiting (store/
-- sqlite/indexer.py). Search reads the pending tail directly, so a message is found
-- right after it is sent.
-- An end-to-end encrypted body (text beginning with U+0001, then the opaque JSON) is
-- never indexed: it goes in as ''.
CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY,
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (channel_id, message_id)
);
CREATE VIRTUAL TABLE search_text USING fts5(text, content = '', tokenize = 'trigram');
CREATE TABLE search_pending (
    id INTEGER PRIMARY KEY,
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL
);

-- The messages already stored are indexed here, once, so search starts with no backlog.
INSERT INTO search_docs (channel_id, message_id, created_at)
SELECT channel_id, message_id, created_at FROM messages ORDER BY created_at, channel_id, message_id;
INSERT INTO search_text (rowid, text)
SELECT d.id, CASE WHEN substr(m.text, 1, 1) = char(1) THEN '' ELSE m.text END FROM search_docs d
  JOIN messages m ON m.channel_id = d.channel_id AND m.message_id = d.message_id;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO search_pending (channel_id, message_id) VALUES (NEW.channel_id, NEW.message_id);
END;

-- A contentless index forgets a row given its old text exactly; the old text is here.
-- A message still pending has no entry yet: the indexer will read its current text.
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted ON messages
BEGIN
    INSERT INTO search_text (search_text, rowid, text)
    SELECT 'delete', d.id, CASE WHEN substr(OLD.text, 1, 1) = char(1) THEN '' ELSE OLD.text END
      FROM search_docs d
     WHERE d.channel_id = OLD.channel_id AND d.message_id = OLD.message_id AND NOT OLD.deleted;
    INSERT INTO search_text (rowid, text)
    SELECT d.id, CASE WHEN substr(NEW.text, 1, 1) = char(1) THEN '' ELSE NEW.text END
      FROM search_docs d
     WHERE d.channel_id = NEW.channel_id AND d.message_id = NEW.message_id AND NOT NEW.deleted;
END;
