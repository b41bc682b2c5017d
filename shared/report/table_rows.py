"""Rows per table, measured from the INSERT statements a record's schema context carries.

The spec's `rows_per_table` is one number per sample; the template engine fills each table with
that many rows, fewer where a closed list of names runs out (ten clinic names), and half as many
again in a junction table (one with a multi-column UNIQUE or PRIMARY KEY: a visit's treatments).
So the realised value is the largest row count among the tables that are not junctions: the
number the sample's tables were filled to. Read with a quote-aware scan (no SQL parse: a
1,000-record run holds megabytes of rows).
"""

from __future__ import annotations

import re

__all__ = ["count_insert_rows", "rows_per_table"]

_INSERT = re.compile(
    r'\bINSERT\s+INTO\s+("[^"]+"|`[^`]+`|\[[^\]]+\]|[\w.]+)[^;]*?\bVALUES\b', re.IGNORECASE
)
_TOKEN = re.compile(r"'(?:[^']|'')*'|[();]")
_CREATE = re.compile(
    r'\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|`[^`]+`|\[[^\]]+\]|[\w.]+)',
    re.IGNORECASE,
)
# A key or unique constraint over two or more columns: a junction table's.
_COMPOSITE = re.compile(r"\b(?:UNIQUE|PRIMARY\s+KEY)\s*\([^)]*,", re.IGNORECASE)


def _name(quoted: str) -> str:
    return quoted.strip('"`[]').lower()


def count_insert_rows(text: str) -> dict[str, int]:
    """Rows inserted per table (lower-cased name) by the INSERT ... VALUES statements of
    `text`, summed over statements."""
    found: dict[str, int] = {}
    for insert in _INSERT.finditer(text):
        depth = rows = 0
        for token in _TOKEN.finditer(text, insert.end()):
            mark = token.group()
            if mark == "(":
                rows += depth == 0
                depth += 1
            elif mark == ")":
                depth -= 1
            elif mark == ";" and depth == 0:
                break
        table = _name(insert.group(1))
        found[table] = found.get(table, 0) + rows
    return found


def _junctions(ddl: str) -> set[str]:
    out: set[str] = set()
    for statement in ddl.split(";"):
        created = _CREATE.search(statement)
        if created and _COMPOSITE.search(statement):
            out.add(_name(created.group(1)))
    return out


def rows_per_table(context: str) -> int | None:
    """The row count the schema's tables were filled to (see the module's doc), or None when
    the context inserts no rows."""
    at = re.search(r"\bINSERT\s+INTO\b", context, re.IGNORECASE)
    if at is None:
        return None
    counts = count_insert_rows(context[at.start() :])
    junctions = _junctions(context[: at.start()])
    plain = [n for table, n in counts.items() if table not in junctions and n > 0]
    chosen = plain or [n for n in counts.values() if n > 0]
    return max(chosen) if chosen else None
