"""The scaled-out engine: PostgreSQL through an asyncpg connection pool.

Any number of processes may share one database. Everything that must be atomic across
them (message ids, inbox seqs, idempotency, membership changes) is decided inside
PostgreSQL transactions under row locks, never in process memory.
"""
