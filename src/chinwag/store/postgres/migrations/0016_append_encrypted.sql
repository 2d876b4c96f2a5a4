-- Sends check the channel's end-to-end encryption flag in their own transaction: a plain
-- send to an encrypted channel, or an encrypted one to a plain channel, is refused by the
-- database, with the channel's row locked, so no process of a cluster takes plaintext
-- once encryption is on (it used to be checked by each process against what it had read
-- within the last 2 seconds, a read of its own before the sends of quiet conversations).
--
-- `chinwag_append_checked` takes the arguments of `chinwag_append_batch` and, per send,
-- whether its body is encrypted. It takes the same locks in the same order (the shared
-- bucket lock, then the channel rows in the order of p_channels), reads the flags, and
-- passes the batch on when every send matches its channel. Otherwise nothing is written:
-- it raises SQLSTATE CW415 with the refused sends in DETAIL, as "position:encrypted" (a
-- plain send to an encrypted channel) or "position:plain", comma-separated, positions
-- counted from 1; the caller answers those and writes the others again. Refusals come
-- before the idempotency lookup, as in the single-process check they replace: a resend
-- of a message stored before the switch is refused too.

CREATE FUNCTION chinwag_append_checked(
    p_channels TEXT[],
    p_send_channel INTEGER[],
    p_channel_ids TEXT[],
    p_sender_ids TEXT[],
    p_device_ids TEXT[],
    p_client_msg_ids TEXT[],
    p_texts TEXT[],
    p_created_ats BIGINT[],
    p_members_versions BIGINT[],
    p_encrypted BOOLEAN[]
) RETURNS TABLE (  -- those of chinwag_append_batch
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
    o_entry_sends BIGINT[],
    o_entry_users TEXT[],
    o_entry_seqs BIGINT[]
) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_flags BOOLEAN[];  -- per channel of p_channels; NULL: no such channel
    v_refused TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7163091130502964993);
    SELECT array_agg(c.encrypted ORDER BY u.n) INTO v_flags
      FROM unnest(p_channels) WITH ORDINALITY AS u (id, n)
      LEFT JOIN LATERAL (
          SELECT c.encrypted FROM channels c WHERE c.id = u.id FOR NO KEY UPDATE
      ) c ON true;
    SELECT string_agg(t.i || ':' || CASE WHEN v_flags[t.ci] THEN 'encrypted' ELSE 'plain' END,
                      ',' ORDER BY t.i)
      INTO v_refused
      FROM unnest(p_send_channel, p_encrypted) WITH ORDINALITY AS t (ci, e, i)
     WHERE v_flags[t.ci] IS DISTINCT FROM t.e AND v_flags[t.ci] IS NOT NULL;
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'end-to-end encryption does not match the channel'
            USING ERRCODE = 'CW415', DETAIL = v_refused;
    END IF;
    RETURN QUERY SELECT * FROM chinwag_append_batch(
        p_channels, p_send_channel, p_channel_ids, p_sender_ids, p_device_ids,
        p_client_msg_ids, p_texts, p_created_ats, p_members_versions);
END
$$;
