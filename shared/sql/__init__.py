"""SQL analysis on sqlglot: dialect names, feature extraction, structural patterns, conformance."""
