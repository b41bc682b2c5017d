"""BIRD's column metadata (`dev_metadata.json`) as example values in the schema's comments.

BIRD mini-dev ships, next to its questions, a metadata file with each column's description and
`sample_values` read from the real database ('common', 'rare', 'mythic' for `cards.rarity`;
'K-5', '9-12' for `schools.GSoffered`; 14.76 … 138.93 for `circuits.lng`). Most BIRD text
columns carry no example in the schema file's own comments, so without these the fixture
would fall back to Faker for them. The loader adds the text samples to the schema as one
comment line above their column, in the form the comment reader (`seed_comments.py`) already
takes, so they reach the fixture as the schema's example values, pass the same privacy scrub
and are recorded as `schema_comment`. Numeric samples give their column's range the same way
(a `Value range` line).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["METADATA_FILE", "RANGE_PREFIX", "annotate_schema", "read_bird_metadata"]

METADATA_FILE = "dev_metadata.json"
# The comment reader takes the two numbers of this line as example values of the column below.
RANGE_PREFIX = "-- Value range (dev_metadata.json): "
# Values the comment reader takes: quoted, one line, no apostrophe, at most 60 characters.
_MAX_LENGTH = 60
_MAX_VALUES = 12
_CREATE = re.compile(r'^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"\[]?([^`"\]\s(]+)', re.I)
_COLUMN = re.compile(r'^\s*(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_]*))\s+\w')

Samples = dict[tuple[str, str], list[str]]
Ranges = dict[tuple[str, str], tuple[float, float]]


def read_bird_metadata(path: Path) -> tuple[dict[str, Samples], dict[str, Ranges]]:
    """Per database, per (table, column) lower-cased, the text sample values and the span of
    the numeric ones; empty when the file is missing or not BIRD's metadata shape (the schema files
    still work alone)."""
    if not path.is_file():
        return {}, {}
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    found: dict[str, Samples] = {}
    found_ranges: dict[str, Ranges] = {}
    for database in document if isinstance(document, list) else []:
        if not isinstance(database, dict) or not isinstance(database.get("name"), str):
            continue
        samples: Samples = {}
        ranges: Ranges = {}
        for table in database.get("tables") or []:
            for column in (table.get("columns") or []) if isinstance(table, dict) else []:
                if not isinstance(table.get("name"), str):
                    continue
                key = (table["name"].lower(), str(column.get("name", "")).lower())
                values = [v for v in column.get("sample_values") or [] if _usable(v)]
                if values:
                    samples[key] = values[:_MAX_VALUES]
                # The span of the typical values, not min/max: BIRD's extremes are outliers
                # (a superhero of 90,000,000 kg) that would stretch every drawn value.
                numbers = [v for v in column.get("sample_values") or [] if _number(v)]
                if len(numbers) >= 2 and min(numbers) < max(numbers):
                    ranges[key] = (min(numbers), max(numbers))
        found[database["name"]] = samples
        found_ranges[database["name"]] = ranges
    return found, found_ranges


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _usable(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_LENGTH
        and value == value.strip()
        and "'" not in value
        and "\n" not in value
        and (value in ("+", "-") or any(ch.isalnum() for ch in value))
    )


def annotate_schema(ddl: str, samples: Samples, ranges: Ranges | None = None) -> str:
    """`ddl` with a `-- Sample values (dev_metadata.json): 'a', 'b'` line above each column
    the metadata has text samples for, and `-- Value range (dev_metadata.json): -3 to 54` above
    each numeric one; the statements themselves are unchanged."""
    ranges = ranges or {}
    if not samples and not ranges:
        return ddl
    out: list[str] = []
    table: str | None = None
    for line in ddl.splitlines():
        created = _CREATE.match(line)
        if created:
            table = created.group(1).lower()
        else:
            column = _COLUMN.match(line)
            if table is not None and column is not None and not line.lstrip().startswith("--"):
                name = next(g for g in column.groups() if g).lower()
                values = samples.get((table, name))
                if values:
                    quoted = ", ".join(f"'{v}'" for v in values)
                    out.append(f"-- Sample values (dev_metadata.json): {quoted}")
                span = ranges.get((table, name))
                if span is not None:
                    out.append(f"{RANGE_PREFIX}{span[0]!r} to {span[1]!r}")
        out.append(line)
    return "\n".join(out) + ("\n" if ddl.endswith("\n") else "")
