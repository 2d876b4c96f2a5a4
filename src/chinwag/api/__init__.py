"""The HTTP API: parse, call a service, serialize. Nothing else lives here."""
