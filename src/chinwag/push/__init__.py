"""Push notifications to users with no device online."""
