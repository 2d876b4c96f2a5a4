"""chinwag: a self-hostable chat service."""

__version__ = "0.1.0"
