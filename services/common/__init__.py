"""Broker plumbing every service shares: stream, consumers, delivery policy. Not a service."""
