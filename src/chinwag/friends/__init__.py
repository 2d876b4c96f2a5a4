"""Friends: requests, acceptance, the friend list."""
