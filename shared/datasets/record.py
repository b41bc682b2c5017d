"""The one record shape every dataset loader yields, and how a malformed row is reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proto.common import Engine
from proto.sample import TableRows

# Our names for the fields a generic file can map (`--field sql=SQL_Statement`).
MAPPABLE_FIELDS = ("id", "question", "sql", "schema_ddl", "db_id", "sql_dialect")


class DatasetError(ValueError):
    """The file as a whole cannot be read (missing, not JSON, unknown format)."""


@dataclass(frozen=True)
class DatasetRecord:
    """One question/SQL pair with the schema it runs on, whatever file it came from.

    `schema_ddl` is the Gretel `sql_context`: CREATE TABLE statements and, when the source has
    rows, INSERT statements. It is written in `schema_dialect`, which may differ from
    `sql_dialect` (BIRD's DDL is SQLite for every dialect's gold SQL).
    """

    id: str
    sql: str
    question: str | None = None
    sql_dialect: Engine | None = None
    schema_ddl: str | None = None
    schema_dialect: Engine | None = None
    db_id: str | None = None
    rows: tuple[TableRows, ...] = ()
    sql_by_dialect: dict[Engine, str] = field(default_factory=dict)
    # Our records' sql_context_by_dialect: the schema and rows as each engine read them.
    schema_by_dialect: dict[Engine, str] = field(default_factory=dict)
    source: str = ""
    # 1-based line of a JSONL/CSV row, or 1-based item number in a JSON array file.
    line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadError:
    """A row that could not become a record: kept and reported, never silently dropped."""

    source: str
    line: int | None
    message: str
    raw: str = ""
    # "line" for JSONL/CSV files, "item" for the elements of a JSON array file.
    unit: str = "line"

    @property
    def position(self) -> str:
        return f"{self.unit} {self.line}" if self.line is not None else "file"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "position": self.position,
            "line": self.line,
            "message": self.message,
            "raw": self.raw,
        }


def truncate_raw(text: str, limit: int = 300) -> str:
    """Keep error reports readable: a malformed row may be a megabyte of garbage."""
    return text if len(text) <= limit else text[:limit] + "…"


def require_records(source: str, records: list[DatasetRecord], errors: list[LoadError]) -> None:
    """An empty file, or one with no row that became a record, is a DatasetError naming why."""
    if records:
        return
    if not errors:
        raise DatasetError(f"{source}: no records (the file is empty)")
    first = errors[0]
    message = " ".join(first.message.split())[:200]
    raise DatasetError(
        f"{source}: no valid record; {len(errors)} malformed row(s), "
        f"the first at {first.position}: {message}"
    )
