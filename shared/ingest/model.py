"""What a parser yields: a statement as found (before scrubbing and shaping), or an issue.

A statement still holds raw literals; it becomes a SeedEvent only through
`shared.ingest.seeds.build_seed`, which scrubs first, so nothing raw leaves the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from proto.common import Engine
from shared.sql.dialects import parse_engine


@dataclass
class Statement:
    """One executed statement from a log, a trace or a dataset row."""

    sql: str
    source: str
    position: str
    # sqlglot dialect name ("postgres", "mysql", "tsql", ...) or None when unknown.
    dialect: str | None = None
    duration_ms: float | None = None
    rows: int | None = None
    error: str | None = None
    question: str | None = None
    schema_ddl: str | None = None
    db_id: str | None = None
    # Knowledge the question relies on (BIRD's `evidence`: "eligible free rate = ...").
    evidence: str | None = None

    @property
    def engine(self) -> Engine | None:
        """The sqlsynth engine of the dialect, when it is one we execute on."""
        return engine_of(self.dialect)


@dataclass(frozen=True)
class IngestIssue:
    """A malformed, truncated or unreadable piece of input: counted and reported, never raised."""

    source: str
    position: str
    message: str
    raw: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "position": self.position,
            "message": self.message,
            "raw": self.raw,
        }


Output = Statement | IngestIssue


@dataclass
class IngestStats:
    """Counters of one ingest run; `issues` keeps the first `max_issues` in full."""

    records: int = 0
    statements: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    issue_count: int = 0
    issues: list[IngestIssue] = field(default_factory=list)
    max_issues: int = 1000

    def add_issue(self, issue: IngestIssue) -> None:
        self.issue_count += 1
        if len(self.issues) < self.max_issues:
            self.issues.append(issue)

    def skip(self, kind: str) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "statements": self.statements,
            "skipped": dict(sorted(self.skipped.items())),
            "issues": self.issue_count,
            "issue_details": [issue.to_json() for issue in self.issues],
        }


def engine_of(dialect: str | None) -> Engine | None:
    if not dialect:
        return None
    try:
        return parse_engine(dialect)
    except ValueError:
        return None


# Statements worth a seed: queries and data changes. Everything else (SET, SHOW, BEGIN, grants,
# session noise of drivers) is counted under its first keyword and dropped.
SEED_KINDS = frozenset(
    {"select", "with", "insert", "update", "delete", "replace", "merge", "values"}
)
# CREATE TABLE statements are kept apart as schema evidence, never as seeds.
_CREATE_TABLE = re.compile(
    r"^\s*create\s+(?:(?:global\s+|local\s+)?temp(?:orary)?\s+)?table\b", re.I
)
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()+", re.DOTALL)
_FIRST_WORD = re.compile(r"[A-Za-z_]+")


def statement_kind(sql: str) -> str:
    """The lower-cased first keyword, skipping comments and opening parentheses."""
    rest = _LEADING_NOISE.sub("", sql, count=1)
    match = _FIRST_WORD.match(rest)
    return match.group(0).lower() if match else "empty"


def is_create_table(sql: str) -> bool:
    return _CREATE_TABLE.match(_LEADING_NOISE.sub("", sql, count=1)) is not None


def truncate_raw(text: str, limit: int = 300) -> str:
    """Error reports stay readable: a malformed line may be a megabyte of garbage."""
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + "…"
