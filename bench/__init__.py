"""Benchmarks: `python -m bench NAME [options]` (see bench/README.md for results)."""
