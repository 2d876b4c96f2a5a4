-- Uploaded files (the bytes are in the blob engine) and the messages that carry them.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    thumbnail BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
-- The orphan sweep walks unsent uploads by age.
CREATE INDEX attachments_created ON attachments (created_at);

-- Written in the send transaction: a file is readable by the members of every channel
-- where a message carried it. The foreign key makes a send fail, rather than point at
-- nothing, if the sweep removed an upload at the same moment.
CREATE TABLE message_attachments (
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    attachment_id TEXT NOT NULL REFERENCES attachments (id),
    PRIMARY KEY (channel_id, message_id, position)
);
CREATE INDEX message_attachments_file ON message_attachments (attachment_id, channel_id);
