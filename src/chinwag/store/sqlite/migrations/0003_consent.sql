-- Who may put a user into a group: 'friends' (the default) or 'anyone'.
ALTER TABLE users ADD COLUMN group_adds TEXT NOT NULL DEFAULT 'friends';

-- A direct channel takes new messages only while its two users are friends. Whatever
-- changes that fact (unfriending, befriending again) sets `closed` in the same
-- transaction, so a send checks one flag of the channel it already reads.
ALTER TABLE channels ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;

UPDATE channels SET closed = 1
 WHERE kind = 'direct' AND NOT EXISTS (
    SELECT 1 FROM members a
      JOIN members b ON b.channel_id = a.channel_id AND b.user_id <> a.user_id
      JOIN friendships f ON f.user_id = a.user_id AND f.friend_id = b.user_id
     WHERE a.channel_id = channels.id);
