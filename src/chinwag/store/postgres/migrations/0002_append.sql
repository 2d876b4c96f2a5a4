-- The whole send transaction as one server-side function, so that a send costs one round
-- trip: `SELECT * FROM chinwag_append(...)` runs as its own transaction.
--
-- Guarantees, under any number of concurrent callers in any number of processes:
-- * message_id is gapless per channel and never repeats: it is the channel row's
--   last_message_id, incremented under that row's lock and committed with the message.
-- * inbox seq is gapless per user: inbox_heads rows are incremented under their locks in
--   the same transaction.
-- * (device_id, client_msg_id) is stored at most once. A resend finds its row in `sends`
--   and gets the original back (o_outcome 'duplicate'); a resend racing the original
--   fails on the primary key of `sends` and the caller retries, which finds the original.
-- * No deadlocks among senders: locks are always taken in the same order, the channel
--   row first, then the `sends` key, then inbox_heads in user_id order.
-- * Membership is read after the channel row is locked. Membership changes lock that row
--   too, so every message is fanned out to exactly the members at the time of its id.
--   (PL/pgSQL takes a fresh snapshot per statement, which a single CTE would not.)
--
-- Refusals: o_outcome 'no_channel' (nothing changed), or SQLSTATE CW403 raised when the
-- sender is not a member, which also rolls back the increment.
--
-- Fan-out on read channels skip the member list when the caller already holds the list
-- of p_members_version: large groups do not ship every member id with every message.
CREATE FUNCTION chinwag_append(
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
    RETURNING c.last_message_id, c.fanout, c.members_version
         INTO o_message_id, o_fanout, o_members_version;
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
