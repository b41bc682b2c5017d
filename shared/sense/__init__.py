"""Sense checks: does a record mean something, beyond running (issue 12, docs/sense.md).

`analyse_record` reads one record (question, SQL, schema, rows) and returns typed findings:
structure (static, over the sqlglot tree and the schema facts), data witnesses (executed on
SQLite with the record's rows) and question ↔ SQL (offline word rules, no LLM).
"""

from __future__ import annotations

from shared.sense.analyse import analyse_record
from shared.sense.findings import (
    CHECK_GROUP,
    ERROR_CHECKS,
    CheckGroup,
    Finding,
    Origin,
    SenseCheck,
    SenseReport,
    Severity,
    severity_of,
)
from shared.sense.record import SenseInput

__all__ = [
    "CHECK_GROUP",
    "ERROR_CHECKS",
    "CheckGroup",
    "Finding",
    "Origin",
    "SenseCheck",
    "SenseInput",
    "SenseReport",
    "Severity",
    "analyse_record",
    "severity_of",
]
