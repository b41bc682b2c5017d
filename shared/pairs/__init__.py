"""Preference pairs (seed 002, SENSE §3.2): a gold SQL against a weak candidate that fails or
returns a different result on the engines."""
