-- Sends in batches: `chinwag_append_batch` stores any number of sends in one transaction
-- and one round trip. A process collects the sends that arrive while its previous batch
-- is being written and passes them as parallel arrays (one element per send, in arrival
-- order); it returns one row per send, in the same order.
--
-- Guarantees, under any number of concurrent callers in any number of processes:
-- * message_id is gapless per channel and never repeats: every channel of the batch is
--   locked first, its ids are assigned from last_message_id after the lock, and
--   last_message_id moves by exactly the number of messages stored.
-- * Within a channel, sends get ids in array order (so one device's sends keep their
--   order), and each member's inbox entries follow that order too.
-- * inbox seq is gapless per user: inbox_heads rows move under their locks, in the same
--   transaction.
-- * (device_id, client_msg_id) is stored at most once. A key that is already stored
--   (checked after the channel locks, so a resend racing its original into the same
--   channel always sees it) comes back as 'duplicate' with the original message. A key
--   reused in another channel at the same moment makes the batch fail on the primary
--   key of `sends`; the caller retries, and the retry sees it. The caller must not put
--   one key twice into a batch.
-- * One send's refusal never fails the others: 'no_channel' and 'not_member' are
--   outcomes of that send alone (nothing stored, no id used). Further refusals (a
--   send-time rule of a channel) belong in the judged CTE below as outcomes of their own.
-- * No deadlocks among senders: locks are taken in one order, the channel rows in id
--   order, then `sends` keys, then inbox_heads in user_id order; the sender's members
--   row is only ever locked by transactions holding its channel row, or alone.
-- * Membership is read after the channel rows are locked (PL/pgSQL takes a fresh snapshot
--   per statement), so every message is fanned out to the members at the time of its id.
--
-- Fan-out on read channels ship their member list only when the caller's
-- p_members_versions differs from the channel's, and then once per channel per batch (on
-- the first message stored there); later rows of that channel have o_member_ids NULL.
CREATE FUNCTION chinwag_append_batch(
    p_channel_ids TEXT[],
    p_sender_ids TEXT[],
    p_device_ids TEXT[],
    p_client_msg_ids TEXT[],
    p_texts TEXT[],
    p_created_ats BIGINT[],
    p_members_versions BIGINT[]
) RETURNS TABLE (
    o_outcome TEXT,  -- 'stored', 'duplicate', 'no_channel' or 'not_member'
    o_channel_id TEXT,  -- the original's channel for a duplicate
    o_message_id BIGINT,
    o_sender_id TEXT,  -- o_sender_id .. o_client_msg_id: the original, for a duplicate
    o_text TEXT,
    o_created_at BIGINT,
    o_client_msg_id TEXT,
    o_fanout TEXT,
    o_members_version BIGINT,
    o_member_ids TEXT[],
    o_seqs BIGINT[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_locked TEXT[];
    v_outcome TEXT[];
    v_message_id BIGINT[];
    v_fanout TEXT[];
    v_version BIGINT[];
    v_list BOOLEAN[];
    v_dup_channel TEXT[];
    v_e_i BIGINT[];
    v_e_user TEXT[];
    v_e_seq BIGINT[];
BEGIN
    SELECT array_agg(x.id) INTO v_locked FROM (
        SELECT c.id FROM channels c WHERE c.id = ANY (p_channel_ids)
         ORDER BY c.id FOR NO KEY UPDATE
    ) x;

    WITH req AS (
        SELECT r.*
          FROM unnest(p_channel_ids, p_sender_ids, p_device_ids, p_client_msg_ids,
                      p_members_versions)
               WITH ORDINALITY AS r (channel_id, sender_id, device_id, client_msg_id,
                                     members_version, i)
    ), judged AS (
        -- LATERAL: each lookup is an index probe, however large the tables grow.
        SELECT req.i, req.channel_id, s.channel_id AS dup_channel,
               s.message_id AS dup_message_id, c.last_message_id, c.fanout,
               c.members_version,
               c.members_version IS DISTINCT FROM req.members_version AS stale,
               CASE WHEN s.channel_id IS NOT NULL THEN 'duplicate'
                    WHEN c.fanout IS NULL THEN 'no_channel'
                    WHEN NOT mb.found THEN 'not_member'
                    ELSE 'stored' END AS outcome
          FROM req
          LEFT JOIN LATERAL (
              SELECT s.channel_id, s.message_id FROM sends s
               WHERE s.device_id = req.device_id AND s.client_msg_id = req.client_msg_id
          ) s ON true
          LEFT JOIN LATERAL (
              SELECT c.last_message_id, c.fanout, c.members_version FROM channels c
               WHERE c.id = req.channel_id AND c.id = ANY (v_locked)
          ) c ON true
          CROSS JOIN LATERAL (
              SELECT EXISTS (SELECT FROM members mb WHERE mb.channel_id = req.channel_id
                                                      AND mb.user_id = req.sender_id) AS found
          ) mb
    ), numbered AS (
        SELECT j.*, row_number() OVER (PARTITION BY j.channel_id, j.outcome ORDER BY j.i) AS k
          FROM judged j
    )
    SELECT array_agg(n.outcome ORDER BY n.i),
           array_agg(CASE WHEN n.outcome = 'stored' THEN n.last_message_id + n.k
                          WHEN n.outcome = 'duplicate' THEN n.dup_message_id END ORDER BY n.i),
           array_agg(n.fanout ORDER BY n.i),
           array_agg(n.members_version ORDER BY n.i),
           array_agg(n.outcome = 'stored' AND n.fanout = 'read' AND n.stale AND n.k = 1
                     ORDER BY n.i),
           array_agg(n.dup_channel ORDER BY n.i)
      INTO v_outcome, v_message_id, v_fanout, v_version, v_list, v_dup_channel
      FROM numbered n;

    UPDATE channels c SET last_message_id = c.last_message_id + n.stored
      FROM (SELECT t.channel_id, count(*) AS stored
              FROM unnest(p_channel_ids, v_outcome) AS t (channel_id, outcome)
             WHERE t.outcome = 'stored' GROUP BY t.channel_id) n
     WHERE c.id = n.channel_id AND c.id = ANY (v_locked);

    -- Sorted, so that two batches holding the same keys (one key reused in two channels
    -- at once) wait for each other in one order.
    INSERT INTO sends (device_id, client_msg_id, channel_id, message_id)
    SELECT t.device_id, t.client_msg_id, t.channel_id, t.message_id
      FROM unnest(p_device_ids, p_client_msg_ids, p_channel_ids, v_message_id, v_outcome)
           AS t (device_id, client_msg_id, channel_id, message_id, outcome)
     WHERE t.outcome = 'stored'
     ORDER BY t.device_id, t.client_msg_id;

    INSERT INTO messages
        (channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at)
    SELECT t.channel_id, t.message_id, t.sender_id, t.device_id, t.client_msg_id, t.text,
           t.created_at
      FROM unnest(p_channel_ids, v_message_id, p_sender_ids, p_device_ids, p_client_msg_ids,
                  p_texts, p_created_ats, v_outcome)
           AS t (channel_id, message_id, sender_id, device_id, client_msg_id, text,
                 created_at, outcome)
     WHERE t.outcome = 'stored';

    -- A sender has read their own messages (one update per sender and channel).
    UPDATE members mb
       SET last_read_message_id = GREATEST(mb.last_read_message_id, r.newest)
      FROM (SELECT t.channel_id, t.sender_id, max(t.message_id) AS newest
              FROM unnest(p_channel_ids, p_sender_ids, v_message_id, v_outcome)
                   AS t (channel_id, sender_id, message_id, outcome)
             WHERE t.outcome = 'stored' GROUP BY t.channel_id, t.sender_id) r
     WHERE mb.channel_id = r.channel_id AND mb.user_id = r.sender_id;

    -- Fan-out on write: one inbox entry per member per message, each member's entries
    -- numbered in array order after their current head.
    WITH msgs AS (
        SELECT t.i, t.channel_id, t.message_id
          FROM unnest(p_channel_ids, v_message_id, v_outcome, v_fanout)
               WITH ORDINALITY AS t (channel_id, message_id, outcome, fanout, i)
         WHERE t.outcome = 'stored' AND t.fanout = 'write'
    ), entries AS (
        SELECT mb.user_id, msgs.i, msgs.channel_id, msgs.message_id,
               row_number() OVER (PARTITION BY mb.user_id ORDER BY msgs.i) AS k,
               count(*) OVER (PARTITION BY mb.user_id) AS n
          FROM msgs CROSS JOIN LATERAL (
              SELECT mb.user_id FROM members mb WHERE mb.channel_id = msgs.channel_id
          ) mb
    ), heads AS (
        -- Rows are inserted (and so locked) in this order.
        INSERT INTO inbox_heads AS h (user_id, seq)
        SELECT e.user_id, e.n FROM entries e WHERE e.k = 1 ORDER BY e.user_id
        ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + EXCLUDED.seq
        RETURNING h.user_id, h.seq
    ), placed AS (
        INSERT INTO inbox (user_id, seq, channel_id, message_id)
        SELECT e.user_id, h.seq - e.n + e.k, e.channel_id, e.message_id
          FROM entries e JOIN heads h ON h.user_id = e.user_id
    )
    SELECT array_agg(e.i), array_agg(e.user_id), array_agg(h.seq - e.n + e.k)
      INTO v_e_i, v_e_user, v_e_seq
      FROM entries e JOIN heads h ON h.user_id = e.user_id;

    RETURN QUERY
    SELECT t.outcome,
           coalesce(t.dup_channel, t.channel_id),
           t.message_id,
           m.sender_id, m.text, m.created_at, m.client_msg_id,
           t.fanout,
           t.version,
           CASE WHEN t.fanout = 'write' THEN x.users
                WHEN t.list THEN ARRAY(SELECT mb.user_id FROM members mb
                                        WHERE mb.channel_id = t.channel_id) END,
           x.seqs
      FROM unnest(p_channel_ids, v_outcome, v_message_id, v_fanout, v_version, v_list,
                  v_dup_channel)
           WITH ORDINALITY AS t (channel_id, outcome, message_id, fanout, version, list,
                                 dup_channel, i)
      LEFT JOIN LATERAL (
          SELECT m.sender_id, m.text, m.created_at, m.client_msg_id FROM messages m
           WHERE t.outcome = 'duplicate' AND m.channel_id = t.dup_channel
             AND m.message_id = t.message_id
      ) m ON true
      LEFT JOIN (SELECT e.i, array_agg(e.u ORDER BY e.u) AS users,
                        array_agg(e.s ORDER BY e.u) AS seqs
                   FROM unnest(v_e_i, v_e_user, v_e_seq) AS e (i, u, s)
                  GROUP BY e.i) x
        ON x.i = t.i
     ORDER BY t.i;
END
$$;

-- The sender's read marker now moves once per sender and channel per batch, inside the
-- function, instead of once per message row.
DROP TRIGGER messages_sender_reads ON messages;
DROP FUNCTION chinwag_sender_reads();

-- The one-send function of 0002 keeps its signature and behaviour (processes of the
-- previous version call it during a rolling upgrade) but stores through the batch
-- function, so there is one send path to keep right.
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
BEGIN
    SELECT b.* INTO o_outcome, o_channel_id, o_message_id, o_sender_id, o_text,
                    o_created_at, o_client_msg_id, o_fanout, o_members_version,
                    o_member_ids, o_seqs
      FROM chinwag_append_batch(ARRAY[p_channel_id], ARRAY[p_sender_id], ARRAY[p_device_id],
                                ARRAY[p_client_msg_id], ARRAY[p_text], ARRAY[p_created_at],
                                ARRAY[p_members_version]) b;
    IF o_outcome = 'not_member' THEN
        RAISE EXCEPTION 'sender is not a member of the channel' USING ERRCODE = 'CW403';
    END IF;
END
$$;
