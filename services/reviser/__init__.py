"""Reviser: sample.checked → sample.reviewed (or a repair); sample.failed → repair or reject."""
