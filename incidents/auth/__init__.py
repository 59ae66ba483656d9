"""Signing in and out, passwords, one-time password links and API tokens."""
