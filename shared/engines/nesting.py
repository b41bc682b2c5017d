"""How deeply a SQL text nests parentheses, found in one linear scan before any parser runs.

sqlglot parses recursively: 5,000 nested parentheses take it a quarter of a second (more on a
busy host) to reach Python's recursion limit, on the event loop, once per engine and per
reading, while every other check of the run waits. Real SQL never nests this deep, so a text
past MAX_NESTING is refused as its own syntax error before sqlglot sees it.
"""

from __future__ import annotations

MAX_NESTING = 200
_QUOTES = frozenset("'\"`")


def measure_nesting(sql: str) -> int:
    """The deepest parenthesis level outside quoted strings and names (quotes by their
    doubling or a backslash are skipped alike: an upper bound is enough here)."""
    depth = deepest = 0
    quote: str | None = None
    escaped = False
    for char in sql:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in _QUOTES:
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def is_nested_too_deeply(sql: str) -> bool:
    return sql.count("(") > MAX_NESTING and measure_nesting(sql) > MAX_NESTING
