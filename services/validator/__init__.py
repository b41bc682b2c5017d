"""Validator: sample.drafted → sample.checked | sample.failed."""
