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
