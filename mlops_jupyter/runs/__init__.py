"""Runs: search, detail, comparison and diff of tracked runs (read-only services)."""
