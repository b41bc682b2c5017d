"""Evaluation: runs a query or a statement over the row store, as an engine would, in memory."""
