"""Safety: blocking, muting, reports, server admins and the account lifecycle."""
