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
-- * One send's refusal never fails the others: 'no_channel', 'not_member' and 'closed'
--   (a channel that takes no new messages: a direct channel whose two users are no
--   longer friends) are outcomes of that send alone (nothing stored, no id used), judged
--   after the idempotency lookup, so a resend of a message stored before still gets its
--   original back. Further refusals belong in the `judged` CTE below, as outcomes of
--   their own.
-- * No deadlocks among senders: locks are taken in one order: the shared bucket lock
--   (*_time_buckets.sql), the channel rows in the order of p_channels, which every caller sorts by code
--   point (byte order of UTF-8), `sends` keys in key order, then inbox_heads in user_id
--   order; the sender's members row is only ever locked by transactions holding its
--   channel row, or alone.
-- * Membership is read after the channel rows are locked (PL/pgSQL takes a fresh snapshot
--   per statement), so every message is fanned out to the members at the time of its id.
-- * Each message and its inbox entries go to the active time bucket (*_time_buckets.sql), and the first
--   message of a channel, or entry of a user, in a bucket is recorded there.
--
-- What comes back: per send, its outcome and message id; for a duplicate, the original
-- (o_channel_id .. o_client_msg_id). Fan-out on read channels ship their member list
-- (o_member_ids) only when the caller's p_members_versions differs from the channel's,
-- and then once per channel per batch, on the first message stored there. The inbox
-- entries of the whole batch come on the first row only, as three parallel arrays
-- (o_entry_sends: the send's position in the batch, o_entry_users, o_entry_seqs),
-- grouped by send and ordered by user within one: the members of each fan-out on write
-- message and their new seqs.
--
-- Every step is one statement over the whole batch, with no join between two sets built
-- here (the planner cannot know their sizes, and a nested loop over two of them would
-- cost the square of the batch): such steps go through arrays indexed by position.

DROP TRIGGER messages_sender_reads ON messages_b0;
DROP FUNCTION chinwag_sender_reads();

-- Set under the channel row lock by whatever decides that a channel takes no new messages
-- (a direct channel of two users who are no longer friends); may exist already.
ALTER TABLE channels ADD COLUMN IF NOT EXISTS closed BOOLEAN NOT NULL DEFAULT FALSE;

CREATE FUNCTION chinwag_append_batch(
    p_channels TEXT[],  -- the batch's channels, each once, sorted by code point
    p_send_channel INTEGER[],  -- per send: its channel's position in p_channels
    p_channel_ids TEXT[],
    p_sender_ids TEXT[],
    p_device_ids TEXT[],
    p_client_msg_ids TEXT[],
    p_texts TEXT[],
    p_created_ats BIGINT[],
    p_members_versions BIGINT[]
) RETURNS TABLE (
    o_outcome TEXT,  -- 'stored', 'duplicate', 'no_channel', 'not_member' or 'closed'
    o_channel_id TEXT,
    o_message_id BIGINT,
    o_sender_id TEXT,
    o_text TEXT,
    o_created_at BIGINT,
    o_client_msg_id TEXT,
    o_fanout TEXT,
    o_members_version BIGINT,
    o_member_ids TEXT[],
    o_entry_sends BIGINT[],
    o_entry_users TEXT[],
    o_entry_seqs BIGINT[]
) LANGUAGE plpgsql
-- Plans made once per connection: the statements' shapes do not depend on the batch, and
-- planning them again for every batch costs more than a small batch's work.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_bucket INTEGER;
    -- Per channel of p_channels: its state once locked (NULL: no such channel).
    v_chan_last BIGINT[];
    v_chan_read BOOLEAN[];  -- fans out on read
    v_chan_closed BOOLEAN[];  -- takes no new messages
    -- (Arrays indexed per row hold fixed-width values: an element of a TEXT[] is found by
    -- walking the ones before it.)
    v_chan_version BIGINT[];
    v_chan_bucket INTEGER[];
    -- Per send.
    v_outcome TEXT[];
    v_message_id BIGINT[];
    v_fanout TEXT[];
    v_version BIGINT[];
    v_list BOOLEAN[];
    v_dup_channel TEXT[];
    v_dup_bucket INTEGER[];
    v_o_sender TEXT[];
    v_o_text TEXT[];
    v_o_created BIGINT[];
    v_o_cmid TEXT[];
    -- Per inbox entry, ordered by send, then user.
    v_e_send BIGINT[];
    v_e_user TEXT[];
    v_e_channel TEXT[];
    v_e_message BIGINT[];
    v_e_rank BIGINT[];  -- the user's position in v_u_user
    v_e_k BIGINT[];  -- the entry's number among its user's entries of this batch
    v_e_seq BIGINT[];
    -- Per user with entries, ordered by user_id.
    v_u_user TEXT[];
    v_u_n BIGINT[];
    v_u_seq BIGINT[];  -- the head after this batch
    v_u_first BIGINT[];  -- the first seq in the active bucket
    v_started BOOLEAN;  -- some user's first entry in the active bucket is in this batch
    v_row RECORD;
BEGIN
    -- CHINWAG_BUCKET_LOCK ("chinwag" 0x01): held shared by every send transaction.
    PERFORM pg_advisory_xact_lock_shared(7163091130502964993);
    SELECT max(b.bucket) INTO v_bucket FROM chinwag_buckets b WHERE b.active_since IS NOT NULL;

    -- Lock the channels one by one in the order given; a locked row reads as its newest
    -- version.
    SELECT array_agg(c.last_message_id ORDER BY u.n), array_agg(c.fanout = 'read' ORDER BY u.n),
           array_agg(c.members_version ORDER BY u.n), array_agg(c.bucket ORDER BY u.n),
           array_agg(c.closed ORDER BY u.n)
      INTO v_chan_last, v_chan_read, v_chan_version, v_chan_bucket, v_chan_closed
      FROM unnest(p_channels) WITH ORDINALITY AS u (id, n)
      LEFT JOIN LATERAL (
          SELECT c.last_message_id, c.fanout, c.members_version, c.bucket, c.closed
            FROM channels c WHERE c.id = u.id FOR NO KEY UPDATE
      ) c ON true;

    WITH req AS (
        SELECT r.*
          FROM unnest(p_channel_ids, p_send_channel, p_sender_ids, p_device_ids,
                      p_client_msg_ids, p_members_versions)
               WITH ORDINALITY AS r (channel_id, ci, sender_id, device_id, client_msg_id,
                                     members_version, i)
    ), judged AS (
        -- Each lookup an index probe by the send's own key.
        SELECT req.i, req.channel_id, req.ci,
               s.channel_id AS dup_channel, s.message_id AS dup_message_id,
               s.bucket AS dup_bucket,
               CASE WHEN s.channel_id IS NOT NULL THEN 'duplicate'
                    WHEN v_chan_last[req.ci] IS NULL THEN 'no_channel'
                    WHEN mb.user_id IS NULL THEN 'not_member'
                    WHEN v_chan_closed[req.ci] THEN 'closed'
                    ELSE 'stored' END AS outcome,
               v_chan_version[req.ci] IS DISTINCT FROM req.members_version AS stale
          FROM req
          LEFT JOIN LATERAL (
              SELECT s.channel_id, s.message_id, s.bucket FROM sends s
               WHERE s.device_id = req.device_id AND s.client_msg_id = req.client_msg_id
               OFFSET 0  -- stays a probe per send, never a scan of the table
          ) s ON true
          LEFT JOIN LATERAL (
              SELECT mb.user_id FROM members mb
               WHERE mb.channel_id = req.channel_id AND mb.user_id = req.sender_id
               OFFSET 0
          ) mb ON true
    ), numbered AS (
        SELECT j.*, row_number() OVER (PARTITION BY j.channel_id, j.outcome ORDER BY j.i) AS k
          FROM judged j
    )
    SELECT array_agg(n.outcome ORDER BY n.i),
           array_agg(CASE WHEN n.outcome = 'stored' THEN v_chan_last[n.ci] + n.k
                          WHEN n.outcome = 'duplicate' THEN n.dup_message_id END ORDER BY n.i),
           array_agg(CASE WHEN v_chan_read[n.ci] THEN 'read'
                          WHEN NOT v_chan_read[n.ci] THEN 'write' END ORDER BY n.i),
           array_agg(v_chan_version[n.ci] ORDER BY n.i),
           array_agg(n.outcome = 'stored' AND v_chan_read[n.ci] AND n.stale AND n.k = 1
                     ORDER BY n.i),
           array_agg(n.dup_channel ORDER BY n.i),
           array_agg(n.dup_bucket ORDER BY n.i)
      INTO v_outcome, v_message_id, v_fanout, v_version, v_list, v_dup_channel, v_dup_bucket
      FROM numbered n;

    -- Each channel's new last id is its highest stored in this batch; and the first
    -- stored in this bucket is recorded when the channel's bucket changes.
    WITH per_channel AS (
        SELECT t.channel_id, t.ci, min(t.message_id) AS first, max(t.message_id) AS last
          FROM unnest(p_channel_ids, p_send_channel, v_message_id, v_outcome)
               AS t (channel_id, ci, message_id, outcome)
         WHERE t.outcome = 'stored'
         GROUP BY t.channel_id, t.ci
    ), moved AS (
        UPDATE channels c SET last_message_id = p.last, bucket = v_bucket
          FROM per_channel p
         WHERE c.id = p.channel_id
    )
    INSERT INTO channel_buckets (channel_id, bucket, first_message_id)
    SELECT p.channel_id, v_bucket, p.first
      FROM per_channel p
     WHERE v_chan_bucket[p.ci] IS DISTINCT FROM v_bucket;

    INSERT INTO sends (device_id, client_msg_id, channel_id, message_id, bucket)
    SELECT t.device_id, t.client_msg_id, t.channel_id, t.message_id, v_bucket
      FROM unnest(p_device_ids, p_client_msg_ids, p_channel_ids, v_message_id, v_outcome)
           AS t (device_id, client_msg_id, channel_id, message_id, outcome)
     WHERE t.outcome = 'stored'
     ORDER BY t.device_id, t.client_msg_id;

    INSERT INTO messages
        (channel_id, message_id, sender_id, device_id, client_msg_id, text, created_at, bucket)
    SELECT t.channel_id, t.message_id, t.sender_id, t.device_id, t.client_msg_id, t.text,
           t.created_at, v_bucket
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

    -- Fan-out on write: one inbox entry per member per message; and per member, their
    -- number of entries.
    WITH entries AS (
        SELECT t.i, mb.user_id, t.channel_id, t.message_id,
               row_number() OVER (PARTITION BY mb.user_id ORDER BY t.i) AS k,
               dense_rank() OVER (ORDER BY mb.user_id) AS rank
          FROM unnest(p_channel_ids, v_message_id, v_outcome, v_fanout) WITH ORDINALITY
               AS t (channel_id, message_id, outcome, fanout, i)
          CROSS JOIN LATERAL (
              SELECT mb.user_id FROM members mb WHERE mb.channel_id = t.channel_id OFFSET 0
          ) mb
         WHERE t.outcome = 'stored' AND t.fanout = 'write'
    )
    SELECT array_agg(e.i ORDER BY e.i, e.user_id), array_agg(e.user_id ORDER BY e.i, e.user_id),
           array_agg(e.channel_id ORDER BY e.i, e.user_id),
           array_agg(e.message_id ORDER BY e.i, e.user_id),
           array_agg(e.rank ORDER BY e.i, e.user_id), array_agg(e.k ORDER BY e.i, e.user_id),
           (SELECT array_agg(u.user_id ORDER BY u.user_id) FROM
                   (SELECT DISTINCT e.user_id FROM entries e) u),
           (SELECT array_agg(u.n ORDER BY u.user_id) FROM
                   (SELECT e.user_id, count(*) AS n FROM entries e GROUP BY e.user_id) u)
      INTO v_e_send, v_e_user, v_e_channel, v_e_message, v_e_rank, v_e_k, v_u_user, v_u_n
      FROM entries e;

    IF v_e_send IS NOT NULL THEN
        -- Each member's head moves by their number of entries; rows are inserted (and so
        -- locked) in user_id order.
        WITH heads AS (
            INSERT INTO inbox_heads AS h (user_id, seq, bucket, bucket_first_seq)
            SELECT u.user_id, u.n, v_bucket, 1
              FROM unnest(v_u_user, v_u_n) AS u (user_id, n)
             ORDER BY u.user_id
            ON CONFLICT (user_id) DO UPDATE
               SET seq = h.seq + EXCLUDED.seq,
                   bucket = v_bucket,
                   bucket_first_seq = CASE WHEN h.bucket = v_bucket THEN h.bucket_first_seq
                                           ELSE h.seq + 1 END
            RETURNING h.user_id, h.seq, h.bucket_first_seq
        )
        SELECT array_agg(h.seq ORDER BY h.user_id), array_agg(h.bucket_first_seq ORDER BY h.user_id)
          INTO v_u_seq, v_u_first
          FROM heads h;

        -- The k-th of a user's n entries takes seq head - n + k.
        WITH placed AS (
            SELECT e.j, e.user_id, v_u_seq[e.rank] - v_u_n[e.rank] + e.k AS seq, e.channel_id,
                   e.message_id
              FROM unnest(v_e_user, v_e_rank, v_e_k, v_e_channel, v_e_message)
                   WITH ORDINALITY AS e (user_id, rank, k, channel_id, message_id, j)
        ), stored AS (
            INSERT INTO inbox (user_id, seq, channel_id, message_id, bucket)
            SELECT p.user_id, p.seq, p.channel_id, p.message_id, v_bucket FROM placed p
        )
        SELECT array_agg(p.seq ORDER BY p.j),
               (SELECT bool_or(u.first > u.seq - u.n)
                  FROM unnest(v_u_seq, v_u_n, v_u_first) AS u (seq, n, first))
          INTO v_e_seq, v_started
          FROM placed p;

        IF v_started THEN
            INSERT INTO inbox_buckets (user_id, bucket, first_seq)
            SELECT u.user_id, v_bucket, u.first
              FROM unnest(v_u_user, v_u_seq, v_u_n, v_u_first) AS u (user_id, seq, n, first)
             WHERE u.first > u.seq - u.n;
        END IF;
    END IF;

    -- Originals of resends (rare): each read from its own bucket's table.
    IF 'duplicate' = ANY (v_outcome) THEN
        v_o_sender := array_fill(NULL::TEXT, ARRAY[cardinality(p_channel_ids)]);
        v_o_text := v_o_sender;
        v_o_cmid := v_o_sender;
        v_o_created := array_fill(NULL::BIGINT, ARRAY[cardinality(p_channel_ids)]);
        FOR i IN 1 .. cardinality(p_channel_ids) LOOP
            CONTINUE WHEN v_outcome[i] <> 'duplicate';
            EXECUTE format('SELECT sender_id, text, created_at, client_msg_id'
                           ' FROM messages_b%s WHERE channel_id = $1 AND message_id = $2',
                           v_dup_bucket[i])
               INTO v_row USING v_dup_channel[i], v_message_id[i];
            v_o_sender[i] := v_row.sender_id;
            v_o_text[i] := v_row.text;
            v_o_created[i] := v_row.created_at;
            v_o_cmid[i] := v_row.client_msg_id;
        END LOOP;
    END IF;

    RETURN QUERY
    SELECT t.outcome,
           coalesce(t.dup_channel, t.channel_id),
           t.message_id,
           v_o_sender[t.i], v_o_text[t.i], v_o_created[t.i], v_o_cmid[t.i],
           t.fanout,
           t.version,
           CASE WHEN t.list THEN ARRAY(SELECT mb.user_id FROM members mb
                                        WHERE mb.channel_id = t.channel_id) END,
           CASE WHEN t.i = 1 THEN v_e_send END,
           CASE WHEN t.i = 1 THEN v_e_user END,
           CASE WHEN t.i = 1 THEN v_e_seq END
      FROM unnest(p_channel_ids, v_outcome, v_message_id, v_fanout, v_version, v_list,
                  v_dup_channel)
           WITH ORDINALITY AS t (channel_id, outcome, message_id, fanout, version, list,
                                 dup_channel, i)
     ORDER BY t.i;
END
$$;

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
DECLARE
    v_users TEXT[];
BEGIN
    SELECT b.o_outcome, b.o_channel_id, b.o_message_id, b.o_sender_id, b.o_text,
           b.o_created_at, b.o_client_msg_id, b.o_fanout, b.o_members_version,
           b.o_member_ids, b.o_entry_users, b.o_entry_seqs
      INTO o_outcome, o_channel_id, o_message_id, o_sender_id, o_text, o_created_at,
           o_client_msg_id, o_fanout, o_members_version, o_member_ids, v_users, o_seqs
      FROM chinwag_append_batch(ARRAY[p_channel_id], ARRAY[1], ARRAY[p_channel_id],
                                ARRAY[p_sender_id], ARRAY[p_device_id], ARRAY[p_client_msg_id],
                                ARRAY[p_text], ARRAY[p_created_at], ARRAY[p_members_version]) b;
    IF o_outcome = 'not_member' THEN
        RAISE EXCEPTION 'sender is not a member of the channel' USING ERRCODE = 'CW403';
    END IF;
    IF o_outcome = 'closed' THEN
        RAISE EXCEPTION 'the channel is closed to new messages' USING ERRCODE = 'CW423';
    END IF;
    IF o_outcome = 'stored' AND o_fanout = 'write' THEN
        o_member_ids := v_users;
    END IF;
END
$$;
