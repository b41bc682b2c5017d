"""Planner: run.requested, run.status → sample.planned."""
