"""The embedded engine: one SQLite file in WAL mode, one writer thread with group commit."""
