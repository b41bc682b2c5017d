"""Generation engines: the offline template engine and (later) Claude."""
