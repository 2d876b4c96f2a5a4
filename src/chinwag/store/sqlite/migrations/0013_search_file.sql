-- The search index leaves this file for one of its own, with a writer of its own
-- (store/sqlite/searchfile.py): indexing a chunk of messages held this file's writer for
-- ~6 ms, about 20 times a second at 5,000 msgs/s, and every send queued behind it waited.
-- The move itself (copying the index's tables there and dropping them here) needs both
-- files attached outside a transaction, so it runs in Python after the migrations.
--
-- Edits reach the index through the queue too: a trigger here can no longer write to the
-- index. An edit or delete queues the message again (edit = 1) with the text the index
-- holds for it if it was indexable (not deleted, not end-to-end encrypted), or NULL: a
-- contentless index forgets a row given its old text exactly (indexer.py says how the
-- indexer works out which text that is).
ALTER TABLE search_pending ADD COLUMN edit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE search_pending ADD COLUMN old_text TEXT;

DROP TRIGGER messages_search_update;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted ON messages
WHEN OLD.text IS NOT NEW.text OR OLD.deleted IS NOT NEW.deleted
BEGIN
    INSERT INTO search_pending (channel_id, message_id, edit, old_text)
    VALUES (NEW.channel_id, NEW.message_id, 1,
            CASE WHEN NOT OLD.deleted AND substr(OLD.text, 1, 1) <> char(1)
                 THEN OLD.text END);
END;
