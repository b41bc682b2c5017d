"""The offline template engine: a grammar over a schema graph, deterministic for a seed."""
