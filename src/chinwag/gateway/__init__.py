"""The chat server half: WebSocket connections, their registry, and delivery to them."""
