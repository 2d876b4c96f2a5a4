"""Messaging: the send path, history and the per-user sync queue (inbox)."""
