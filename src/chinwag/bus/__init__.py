"""Delivery between processes: in-process (local) or NATS."""
