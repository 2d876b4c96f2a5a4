-- A sender has read their own message: sending moves the sender's read marker, in the
-- same transaction, so one's own messages never count as unread.
CREATE TRIGGER messages_sender_reads AFTER INSERT ON messages
BEGIN
    UPDATE members SET last_read_message_id = max(last_read_message_id, NEW.message_id)
     WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id;
END;
