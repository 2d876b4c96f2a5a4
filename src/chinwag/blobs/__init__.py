"""Blob engines: the bytes of uploads (the interface is `media.blobs.BlobStore`)."""
