-- Uploaded files (the bytes are in the blob engine) and the messages that carry them.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    thumbnail INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
-- The orphan sweep walks unsent uploads by age.
CREATE INDEX attachments_created ON attachments(created_at);

-- Written in the send transaction: a file is readable by the members of every channel
-- where a message carried it.
CREATE TABLE message_attachments (
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    attachment_id TEXT NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (channel_id, message_id, position)
) WITHOUT ROWID;
CREATE INDEX message_attachments_file ON message_attachments(attachment_id, channel_id);
