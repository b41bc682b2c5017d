"""Dedup: sample.reviewed → sample.accepted | sample.duplicate."""
