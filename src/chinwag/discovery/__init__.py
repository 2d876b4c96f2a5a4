"""Service discovery: which gateway a client should connect to."""
