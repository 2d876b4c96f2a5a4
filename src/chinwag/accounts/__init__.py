"""Accounts: users, passwords, devices and their bearer tokens."""
