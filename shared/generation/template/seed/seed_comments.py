"""Example values from the comments of a schema file (BIRD's `schemas/<db>.sql`).

BIRD's schema files describe each column in `--` comments just above it, with the values the
real database holds: "Possible values are 'SME', 'LAM', and 'KAM'", "Sample values: 'CZE'
(Czech Republic)". Those literals are real values of the column, as good as the seeds' own
literals, so the fixture draws from them instead of inventing placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from proto.sample import Scalar
from shared.generation.template.seed.seed_parse import Values

Adder = Callable[[Values, str, str, Scalar], None]

__all__ = ["harvest_comments"]

_CREATE = re.compile(r'^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"\[]?([^`"\]\s(]+)', re.I)
_COLUMN = re.compile(r'^\s*(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_]*))\s+\w')
# A quoted literal stands apart from words: the apostrophes of "player's ... team's" do not
# quote anything.
_QUOTED = re.compile(r"(?<![A-Za-z0-9])'([^'\n]{1,60})'(?![A-Za-z0-9])")
# Format descriptions quoted like values ('YYYY-MM-DD', 'minutes:seconds.milliseconds').
_FORMAT = re.compile(r"(?i)yyyy|mm-dd|hh:mm|minutes|seconds|\bformat\b")
_RANGE = re.compile(
    r"^--\s*Value range \(dev_metadata\.json\): (-?\d+(?:\.\d+)?) to (-?\d+(?:\.\d+)?)$"
)
_NOT_COLUMNS = frozenset({"primary", "foreign", "unique", "constraint", "check", "key"})


def harvest_comments(ddl: str, values: Values, add: Adder) -> None:
    """Add every quoted literal of a column's comment lines to `values[(table, column)]`
    through `add(values, table, column, value)` (which filters and caps them)."""
    table: str | None = None
    pending: list[Scalar] = []
    for line in ddl.splitlines():
        stripped = line.strip()
        created = _CREATE.match(stripped)
        if created:
            table, pending = created.group(1), []
            continue
        if stripped.startswith("--"):
            span = _RANGE.match(stripped)
            if span:  # the loader's line for BIRD's metadata min/max (bird_metadata.py)
                pending += [_number(span.group(1)), _number(span.group(2))]
                continue
            pending += [v for v in _QUOTED.findall(stripped) if _is_value(v)]
            continue
        column = _COLUMN.match(stripped)
        if table is not None and column is not None:
            name = next(g for g in column.groups() if g)
            if name.lower() not in _NOT_COLUMNS:
                for value in pending:
                    add(values, table, name, value)
        pending = []


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _is_value(text: str) -> bool:
    # '+' and '-' are real values of BIRD's lab columns (KCT, LAC: positive, negative).
    signed = text in ("+", "-")
    return (
        text == text.strip()
        and (signed or any(ch.isalnum() for ch in text))
        and not _FORMAT.search(text)
    )
