-- Who may put a user into a group: 'friends' (the default) or 'anyone'.
ALTER TABLE users ADD COLUMN group_adds TEXT NOT NULL DEFAULT 'friends'
    CHECK (group_adds IN ('friends', 'anyone'));

-- A direct channel takes new messages only while its two users are friends. Whatever
-- changes that fact (unfriending, befriending again) sets `closed` in the same
-- transaction, under the channel row lock that sends take too; a send reads the flag
-- from the row it already updates, so the check costs no extra read.
ALTER TABLE channels ADD COLUMN closed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE channels SET closed = TRUE
 WHERE kind = 'direct' AND NOT EXISTS (
    SELECT 1 FROM members a
      JOIN members b ON b.channel_id = a.channel_id AND b.user_id <> a.user_id
      JOIN friendships f ON f.user_id = a.user_id AND f.friend_id = b.user_id
     WHERE a.channel_id = channels.id);

-- chinwag_append as in 0002, refusing a send into a closed channel: SQLSTATE CW423
-- (after the membership check, and after the idempotency lookup, so a resend of a
-- message stored before the channel closed still gets its original back).
CREATE OR REPLACE FUNCTION chinwag_append(
    p_channel_id TEXT,
    p_sender_id TEXT,
    p_device_id TEXT,
    p_client_msg_id TEXT,
    p_text TEXT,
    p_created_at BIGINT,
    p_members_version BIGINT,
    OUT o_outcome TEXT,
    OUT o_channel_id TEXT,
    OUT o_message_id BIGINT,
    OUT o_sender_id TEXT,
    OUT o_text TEXT,
    OUT o_created_at BIGINT,
    OUT o_client_msg_id TEXT,
    OUT o_fanout TEXT,
    OUT o_members_version BIGINT,
    OUT o_member_ids TEXT[],
    OUT o_seqs BIGINT[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_is_member BOOLEAN;
    v_closed BOOLEAN;
BEGIN
    SELECT s.channel_id, s.message_id INTO o_channel_id, o_message_id
      FROM sends s
     WHERE s.device_id = p_device_id AND s.client_msg_id = p_client_msg_id;
    IF FOUND THEN
        SELECT m.sender_id, m.text, m.created_at, m.client_msg_id
          INTO o_sender_id, o_text, o_created_at, o_client_msg_id
          FROM messages m
         WHERE m.channel_id = o_channel_id AND m.message_id = o_message_id;
        o_outcome := 'duplicate';
        RETURN;
    END IF;

    UPDATE channels c SET last_message_id = c.last_message_id + 1
     WHERE c.id = p_channel_id
    RETURNING c.last_message_id, c.fanout, c.members_version, c.closed
         INTO o_message_id, o_fanout, o_members_version, v_closed;
    IF NOT FOUND THEN
        o_outcome := 'no_channel';
        RETURN;
    END IF;
    o_channel_id := p_channel_id;

    IF o_fanout = 'write' THEN
        SELECT array_agg(mb.user_id ORDER BY mb.user_id) INTO o_member_ids
          FROM members mb
         WHERE mb.channel_id = p_channel_id;
        v_is_member := coalesce(p_sender_id = ANY (o_member_ids), false);
    ELSE
        PERFORM FROM members mb
          WHERE mb.channel_id = p_channel_id AND mb.user_id = p_sender_id;
        v_is_member := FOUND;
        IF o_members_version IS DISTINCT FROM p_members_version THEN
            SELECT array_agg(mb.user_id ORDER BY mb.user_id) INTO o_member_ids
              FROM members mb
             WHERE mb.channel_id = p_channel_id;
        END IF;
    END IF;
    IF NOT v_is_member THEN
        RAISE EXCEPTION 'sender is not a member of the channel' USING ERRCODE = 'CW403';
    END IF;
    IF v_closed THEN
        RAISE EXCEPTION 'the channel is closed to new messages' USING ERRCODE = 'CW423';
    END IF;

    INSERT INTO sends (device_id, client_msg_id, channel_id, message_id)
    VALUES (p_device_id, p_client_msg_id, p_channel_id, o_message_id);
    INSERT INTO messages
        (channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at)
    VALUES
        (p_channel_id, o_message_id, p_sender_id, p_device_id, p_client_msg_id, p_text,
         p_created_at);

    IF o_fanout = 'write' THEN
        -- o_member_ids is sorted, and rows are inserted (and so locked) in input order.
        WITH heads AS (
            INSERT INTO inbox_heads AS h (user_id, seq)
            SELECT u, 1 FROM unnest(o_member_ids) WITH ORDINALITY AS t (u, n) ORDER BY n
            ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + 1
            RETURNING h.user_id, h.seq
        ), entries AS (
            INSERT INTO inbox (user_id, seq, channel_id, message_id)
            SELECT heads.user_id, heads.seq, p_channel_id, o_message_id FROM heads
            RETURNING inbox.user_id, inbox.seq
        )
        SELECT array_agg(e.user_id ORDER BY e.user_id), array_agg(e.seq ORDER BY e.user_id)
          INTO o_member_ids, o_seqs
          FROM entries e;
    END IF;
    o_outcome := 'stored';
END
$$;
