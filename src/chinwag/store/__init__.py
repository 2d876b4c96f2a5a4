"""Storage engines. Each domain package declares the narrow store it needs; the engines
here implement all of them, and `tests/store/` holds the one conformance suite that every
engine must pass."""
