"""Presence: online while a device heartbeats, offline after a timeout or a grace period."""
