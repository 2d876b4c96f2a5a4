-- A sender has read their own message: sending moves the sender's read marker, in the
-- same transaction, so one's own messages never count as unread. The members row is
-- locked after the channel row, the order every membership change also takes.
CREATE FUNCTION chinwag_sender_reads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members SET last_read_message_id = GREATEST(last_read_message_id, NEW.message_id)
     WHERE channel_id = NEW.channel_id AND user_id = NEW.sender_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_sender_reads AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION chinwag_sender_reads();
