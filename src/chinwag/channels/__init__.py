"""Channels: direct (1:1) and group conversations and their members."""
