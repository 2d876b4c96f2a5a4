"""The WebSocket wire protocol: frame types, codec and session rules. Pure, no I/O."""
