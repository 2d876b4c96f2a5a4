-- Avatars are uploaded images (attachments), never URLs of other sites: a browser that
-- fetched those would tell them who looks at whom. URLs set before are dropped.
ALTER TABLE users ADD COLUMN avatar_id TEXT REFERENCES attachments (id);
-- Avatars are readable by everyone and kept by the sweep of unsent uploads.
CREATE INDEX users_avatar ON users (avatar_id) WHERE avatar_id IS NOT NULL;
UPDATE users SET avatar_url = '' WHERE avatar_url <> '';
