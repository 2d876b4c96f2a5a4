-- A sender has read their own message, as before (0002); but the send no longer moves
-- the sender's stored read marker every time. At window 1 every message of a commit is
-- in another conversation, so that update dirtied a page of `members` per message: a
-- log frame, copied again by the checkpoint. Now the stored marker is kept within
-- READ_SLACK (32) ids of the sender's newest own message: a send moves it only when it
-- lies further behind. What a client sees is the effective marker, computed when read
-- (store/sqlite/channels.py): the stored one, or the member's newest own message when
-- that is newer. By the rule above that message is at most 32 ids past the stored
-- marker, so the read is one short range of the channel's history (none at all when
-- the member has read up to the newest message).
--
-- joined_after_id: the channel's newest message id when this membership began. Only
-- messages after it are the member's own in this sense: someone who left a group and
-- was added again has not read what came before by having sent something back then.
-- Rows that exist now get the newest id of their channel: each one's stored marker
-- already covers every message its member sent (0002 moved it on every send).
--
-- READ_SLACK is written here and in channels.py; they change together, in a migration.
DROP TRIGGER messages_sender_reads;

ALTER TABLE members ADD COLUMN joined_after_id INTEGER NOT NULL DEFAULT 0;

UPDATE members SET joined_after_id = (
    SELECT coalesce(max(message_id), 0) FROM messages WHERE messages.channel_id = members.channel_id
);

CREATE TRIGGER messages_sender_reads AFTER INSERT ON messages
BEGIN
    UPDATE members SET last_read_message_id = NEW.message_id
     WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id
       AND last_read_message_id < NEW.message_id - 32;
END;
