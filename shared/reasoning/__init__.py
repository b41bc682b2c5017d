"""Execution-verified reasoning traces (seed 004, EvolSQL §4.3): sampled from Claude and kept
when their SQL returns the gold result, or derived offline from the gold SQL's plan."""
