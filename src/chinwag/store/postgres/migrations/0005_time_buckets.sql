-- History grows forever: messages and inbox entries are partitioned by time (a "bucket",
-- one per calendar month) and, inside each bucket, by hash of their key as before:
--
--   messages  RANGE (bucket) -> messages_b<bucket>  HASH (channel_id) -> messages_b<bucket>_p<n>
--   inbox     RANGE (bucket) -> inbox_b<bucket>     HASH (user_id)    -> inbox_b<bucket>_p<n>
--
-- (bucket 0's partitions keep the names 0001 gave them: messages_p<n> and inbox_p<n>).
--
-- Recent data sits in the newest bucket's tables and their indexes; an old bucket is a
-- set of tables nobody writes to any more, which can be moved to other storage (ALTER
-- TABLE ... SET TABLESPACE) without touching the others.
--
-- Buckets are listed in chinwag_buckets. chinwag creates next month's bucket ahead of
-- time and, once the month has begun, makes it active (store/postgres/buckets.py).
-- Bucket 0 holds everything stored before the first monthly bucket became active
-- (everything stored before this migration, on an existing database).
--
-- Every send transaction holds the shared advisory lock CHINWAG_BUCKET_LOCK and reads the
-- active bucket under it; making a bucket active takes the lock exclusively. So a bucket
-- holds exactly the sends committed between its activation and the next one: every
-- channel's message ids and every user's inbox seqs move through the buckets in order,
-- and a message and its inbox entries are always in the same bucket.
--
-- Where each channel's and each user's data lies: channel_buckets (the first message id
-- of a channel in each bucket) and inbox_buckets (the first seq of a user in each
-- bucket), written by the send function the first time a channel or user writes into a
-- bucket. Reads look there first, then read only the buckets they need, each pruned to
-- one partition by its key.

CREATE TABLE chinwag_buckets (
    bucket INTEGER PRIMARY KEY,  -- 0, then yyyymm of its month (202612)
    starts_at BIGINT NOT NULL,  -- ms: when its month begins (0 for bucket 0)
    active_since BIGINT  -- ms: when sends started going there; NULL until then
);
INSERT INTO chinwag_buckets (bucket, starts_at, active_since) VALUES (0, 0, 0);

CREATE TABLE channel_buckets (
    channel_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    first_message_id BIGINT NOT NULL,
    PRIMARY KEY (channel_id, bucket)
);

CREATE TABLE inbox_buckets (
    user_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    first_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, bucket)
);

-- The bucket of each channel's newest message, and of each user's newest inbox entry
-- with the first seq there: the send function compares them with the active bucket.
ALTER TABLE channels ADD COLUMN bucket INTEGER;
ALTER TABLE inbox_heads ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0,
                        ADD COLUMN bucket_first_seq BIGINT NOT NULL DEFAULT 1;
-- Where the original of a resend is.
ALTER TABLE sends ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0;

UPDATE channels SET bucket = 0 WHERE last_message_id > 0;
INSERT INTO channel_buckets (channel_id, bucket, first_message_id)
SELECT id, 0, 1 FROM channels WHERE last_message_id > 0;
INSERT INTO inbox_buckets (user_id, bucket, first_seq) SELECT user_id, 0, 1 FROM inbox_heads;

-- The hash-partitioned tables of 0001 become bucket 0, keeping their primary keys: each
-- bucket's tables have their own, (channel_id, message_id) and (user_id, seq). The roots
-- have none (it would have to include the bucket); ids and seqs are unique across
-- buckets because the send function assigns them under the channel and inbox_heads locks.
ALTER TABLE messages RENAME TO messages_b0;
ALTER TABLE inbox RENAME TO inbox_b0;
ALTER TABLE messages_b0 RENAME CONSTRAINT messages_pkey TO messages_b0_pkey;
ALTER TABLE inbox_b0 RENAME CONSTRAINT inbox_pkey TO inbox_b0_pkey;
ALTER TABLE messages_b0 ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_b0 ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0;

CREATE TABLE messages (
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    bucket INTEGER NOT NULL
) PARTITION BY RANGE (bucket);

CREATE TABLE inbox (
    user_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    bucket INTEGER NOT NULL
) PARTITION BY RANGE (bucket);

ALTER TABLE messages ATTACH PARTITION messages_b0 FOR VALUES FROM (0) TO (1);
ALTER TABLE inbox ATTACH PARTITION inbox_b0 FOR VALUES FROM (0) TO (1);

-- Adds a bucket's tables, empty, without blocking sends or reads: they are built apart
-- and attached, which locks the parent only against other schema changes. Run by
-- chinwag's bucket maintenance under its own advisory lock.
CREATE FUNCTION chinwag_create_bucket(p_bucket INTEGER, p_starts_at BIGINT)
RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM chinwag_buckets WHERE bucket = p_bucket) THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE messages_b%s (LIKE messages,'
                   ' PRIMARY KEY (channel_id, message_id)) PARTITION BY HASH (channel_id)',
                   p_bucket);
    EXECUTE format('CREATE TABLE inbox_b%s (LIKE inbox,'
                   ' PRIMARY KEY (user_id, seq)) PARTITION BY HASH (user_id)', p_bucket);
    FOR i IN 0..15 LOOP
        EXECUTE format('CREATE TABLE messages_b%s_p%s PARTITION OF messages_b%s'
                       ' FOR VALUES WITH (MODULUS 16, REMAINDER %s)', p_bucket, i, p_bucket, i);
        EXECUTE format('CREATE TABLE inbox_b%s_p%s PARTITION OF inbox_b%s'
                       ' FOR VALUES WITH (MODULUS 16, REMAINDER %s)', p_bucket, i, p_bucket, i);
    END LOOP;
    EXECUTE format('ALTER TABLE messages ATTACH PARTITION messages_b%s'
                   ' FOR VALUES FROM (%s) TO (%s)', p_bucket, p_bucket, p_bucket + 1);
    EXECUTE format('ALTER TABLE inbox ATTACH PARTITION inbox_b%s'
                   ' FOR VALUES FROM (%s) TO (%s)', p_bucket, p_bucket, p_bucket + 1);
    INSERT INTO chinwag_buckets (bucket, starts_at) VALUES (p_bucket, p_starts_at);
END
$$;

-- The send function of 0004, now placing each message and its inbox entries in the active
-- bucket and recording where each channel and user starts in a new one. Its guarantees
-- are those of 0004, plus the ones at the top of this file.
CREATE OR REPLACE FUNCTION chinwag_append_batch(
    p_channel_ids TEXT[],
    p_sender_ids TEXT[],
    p_device_ids TEXT[],
    p_client_msg_ids TEXT[],
    p_texts TEXT[],
    p_created_ats BIGINT[],
    p_members_versions BIGINT[]
) RETURNS TABLE (
    o_outcome TEXT,
    o_channel_id TEXT,
    o_message_id BIGINT,
    o_sender_id TEXT,
    o_text TEXT,
    o_created_at BIGINT,
    o_client_msg_id TEXT,
    o_fanout TEXT,
    o_members_version BIGINT,
    o_member_ids TEXT[],
    o_seqs BIGINT[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_bucket INTEGER;
    v_locked TEXT[];
    v_outcome TEXT[];
    v_message_id BIGINT[];
    v_fanout TEXT[];
    v_version BIGINT[];
    v_list BOOLEAN[];
    v_dup_channel TEXT[];
    v_dup_bucket INTEGER[];
    v_new_bucket BOOLEAN[];
    v_e_i BIGINT[];
    v_e_user TEXT[];
    v_e_seq BIGINT[];
    v_o_sender TEXT[];
    v_o_text TEXT[];
    v_o_created BIGINT[];
    v_o_cmid TEXT[];
    v_row RECORD;
BEGIN
    -- CHINWAG_BUCKET_LOCK ("chinwag" 0x01): held shared by every send transaction.
    PERFORM pg_advisory_xact_lock_shared(7163091130502964993);
    SELECT max(b.bucket) INTO v_bucket FROM chinwag_buckets b WHERE b.active_since IS NOT NULL;

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
               s.message_id AS dup_message_id, s.bucket AS dup_bucket,
               c.last_message_id, c.fanout, c.members_version,
               c.bucket IS DISTINCT FROM v_bucket AS new_bucket,
               c.members_version IS DISTINCT FROM req.members_version AS stale,
               CASE WHEN s.channel_id IS NOT NULL THEN 'duplicate'
                    WHEN c.fanout IS NULL THEN 'no_channel'
                    WHEN NOT mb.found THEN 'not_member'
                    ELSE 'stored' END AS outcome
          FROM req
          LEFT JOIN LATERAL (
              SELECT s.channel_id, s.message_id, s.bucket FROM sends s
               WHERE s.device_id = req.device_id AND s.client_msg_id = req.client_msg_id
          ) s ON true
          LEFT JOIN LATERAL (
              SELECT c.last_message_id, c.fanout, c.members_version, c.bucket FROM channels c
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
           array_agg(n.dup_channel ORDER BY n.i),
           array_agg(n.dup_bucket ORDER BY n.i),
           array_agg(n.outcome = 'stored' AND n.new_bucket AND n.k = 1 ORDER BY n.i)
      INTO v_outcome, v_message_id, v_fanout, v_version, v_list, v_dup_channel, v_dup_bucket,
           v_new_bucket
      FROM numbered n;

    UPDATE channels c SET last_message_id = c.last_message_id + n.stored, bucket = v_bucket
      FROM (SELECT t.channel_id, count(*) AS stored
              FROM unnest(p_channel_ids, v_outcome) AS t (channel_id, outcome)
             WHERE t.outcome = 'stored' GROUP BY t.channel_id) n
     WHERE c.id = n.channel_id AND c.id = ANY (v_locked);

    -- A channel's first message in this bucket (the first stored one of the batch).
    INSERT INTO channel_buckets (channel_id, bucket, first_message_id)
    SELECT t.channel_id, v_bucket, t.message_id
      FROM unnest(p_channel_ids, v_message_id, v_new_bucket)
           AS t (channel_id, message_id, new_bucket)
     WHERE t.new_bucket;

    -- Sorted, so that two batches holding the same keys (one key reused in two channels
    -- at once) wait for each other in one order.
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
        INSERT INTO inbox_heads AS h (user_id, seq, bucket, bucket_first_seq)
        SELECT e.user_id, e.n, v_bucket, 1 FROM entries e WHERE e.k = 1 ORDER BY e.user_id
        ON CONFLICT (user_id) DO UPDATE
           SET seq = h.seq + EXCLUDED.seq,
               bucket = v_bucket,
               bucket_first_seq = CASE WHEN h.bucket = v_bucket THEN h.bucket_first_seq
                                       ELSE h.seq + 1 END
        RETURNING h.user_id, h.seq, h.bucket_first_seq
    ), placed AS (
        INSERT INTO inbox (user_id, seq, channel_id, message_id, bucket)
        SELECT e.user_id, h.seq - e.n + e.k, e.channel_id, e.message_id, v_bucket
          FROM entries e JOIN heads h ON h.user_id = e.user_id
    ), started AS (
        -- A user's first entry in this bucket is in this batch.
        INSERT INTO inbox_buckets (user_id, bucket, first_seq)
        SELECT h.user_id, v_bucket, h.bucket_first_seq
          FROM heads h JOIN entries e ON e.user_id = h.user_id AND e.k = 1
         WHERE h.bucket_first_seq > h.seq - e.n
    )
    SELECT array_agg(e.i), array_agg(e.user_id), array_agg(h.seq - e.n + e.k)
      INTO v_e_i, v_e_user, v_e_seq
      FROM entries e JOIN heads h ON h.user_id = e.user_id;

    -- Originals of resends (rare): each read from its own bucket's table.
    v_o_sender := array_fill(NULL::TEXT, ARRAY[cardinality(p_channel_ids)]);
    v_o_text := v_o_sender;
    v_o_cmid := v_o_sender;
    v_o_created := array_fill(NULL::BIGINT, ARRAY[cardinality(p_channel_ids)]);
    IF 'duplicate' = ANY (v_outcome) THEN
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
           t.o_sender, t.o_text, t.o_created, t.o_cmid,
           t.fanout,
           t.version,
           CASE WHEN t.fanout = 'write' THEN x.users
                WHEN t.list THEN ARRAY(SELECT mb.user_id FROM members mb
                                        WHERE mb.channel_id = t.channel_id) END,
           x.seqs
      FROM unnest(p_channel_ids, v_outcome, v_message_id, v_fanout, v_version, v_list,
                  v_dup_channel, v_o_sender, v_o_text, v_o_created, v_o_cmid)
           WITH ORDINALITY AS t (channel_id, outcome, message_id, fanout, version, list,
                                 dup_channel, o_sender, o_text, o_created, o_cmid, i)
      LEFT JOIN (SELECT e.i, array_agg(e.u ORDER BY e.u) AS users,
                        array_agg(e.s ORDER BY e.u) AS seqs
                   FROM unnest(v_e_i, v_e_user, v_e_seq) AS e (i, u, s)
                  GROUP BY e.i) x
        ON x.i = t.i
     ORDER BY t.i;
END
$$;
