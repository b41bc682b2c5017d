"""Ingest service: tails configured logs and publishes seed.ingested events."""
