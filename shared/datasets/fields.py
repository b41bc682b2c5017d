"""Map a row's own field names onto DatasetRecord fields (generic JSONL/CSV, Gretel, our output).

Field names are matched case-insensitively against candidate lists, so `SQL`, `query` and
`SQL_Statement` all find the SQL column; an explicit field map wins over the guesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from proto.common import Engine
from proto.sample import TableRows
from shared.datasets.record import MAPPABLE_FIELDS, DatasetRecord
from shared.sql.dialects import parse_engine

# First match wins, so the most specific names come first.
FIELD_CANDIDATES: dict[str, tuple[str, ...]] = {
    "sql": ("sql", "query", "sql_query", "sql_statement", "gold_sql", "statement", "sql_text"),
    "question": ("question", "sql_prompt", "nl", "nl_question", "utterance", "prompt"),
    "schema_ddl": ("sql_context", "schema_ddl", "ddl", "schema", "context"),
    "id": ("id", "sample_id", "question_id", "row", "qid"),
    "db_id": ("db_id", "schema_id", "database", "db"),
    "sql_dialect": ("sql_dialect", "dialect"),
}


class MalformedRow(ValueError):
    """Raised inside a loader for one row; the reader turns it into a LoadError."""


@dataclass(frozen=True)
class RowDefaults:
    """What a format knows that its rows do not say (Gretel's SQLite context, a --dialect flag)."""

    sql_dialect: Engine | None = None
    schema_dialect: Engine | None = None
    # Our own output carries per-engine SQL and rows; other formats keep such keys in `extra`.
    structured: bool = False


def parse_field_map(pairs: Mapping[str, str] | None) -> dict[str, str]:
    """Check a user field map ({"sql": "SQL_Statement"}) against the names we understand."""
    field_map = dict(pairs or {})
    unknown = sorted(set(field_map) - set(MAPPABLE_FIELDS))
    if unknown:
        known = ", ".join(MAPPABLE_FIELDS)
        raise ValueError(f"unknown field(s) {', '.join(unknown)} in field map (known: {known})")
    return field_map


def resolve_fields(keys: list[str], field_map: Mapping[str, str]) -> dict[str, str]:
    """Return {our field: the row's key} for the fields this row has."""
    by_lower = {key.lower(): key for key in reversed(keys)}
    resolved: dict[str, str] = {}
    for name, candidates in FIELD_CANDIDATES.items():
        if name in field_map:
            if field_map[name] in keys:
                resolved[name] = field_map[name]
            continue
        for candidate in candidates:
            if candidate in by_lower:
                resolved[name] = by_lower[candidate]
                break
    return resolved


def read_dialect(value: Any, what: str) -> Engine | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRow(f"{what} must be a string, got {type(value).__name__}")
    try:
        return parse_engine(value)
    except ValueError as exc:
        raise MalformedRow(str(exc)) from exc


def read_text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise MalformedRow(f"{what} must be text, got {type(value).__name__}")


def read_sql_by_dialect(value: Any, field_name: str = "sql_by_dialect") -> dict[Engine, str]:
    """sql_by_dialect or sql_context_by_dialect: engine name → text."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedRow(f"{field_name} must be an object of engine name to SQL")
    out: dict[Engine, str] = {}
    for name, sql in value.items():
        engine = read_dialect(name, f"{field_name} key")
        text = read_text(sql, f"{field_name}[{name}]")
        if engine is not None and text:
            out[engine] = text
    return out


def read_rows(value: Any) -> tuple[TableRows, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedRow("rows must be a list of {table, columns, values}")
    try:
        return tuple(TableRows.model_validate(item) for item in value)
    except ValidationError as exc:
        raise MalformedRow(f"rows: {exc.errors()[0]['msg']}") from exc


def build_record(
    obj: Any,
    *,
    field_map: Mapping[str, str],
    defaults: RowDefaults,
    source: str,
    line: int,
    fallback_id: str,
) -> DatasetRecord:
    """Turn one decoded row into a record, or raise MalformedRow saying what is wrong."""
    if not isinstance(obj, dict):
        raise MalformedRow(f"expected an object, got {type(obj).__name__}")
    fields = resolve_fields(list(obj), field_map)
    if "sql" not in fields:
        wanted = field_map.get("sql") or "/".join(FIELD_CANDIDATES["sql"])
        raise MalformedRow(f"no SQL field ({wanted})")
    sql = read_text(obj[fields["sql"]], "sql")
    if not sql or not sql.strip():
        raise MalformedRow("empty SQL")
    values = {name: obj[key] for name, key in fields.items()}
    sql_dialect = read_dialect(values.get("sql_dialect"), "sql_dialect") or defaults.sql_dialect
    used = set(fields.values())
    sql_by_dialect: dict[Engine, str] = {}
    schema_by_dialect: dict[Engine, str] = {}
    rows: tuple[TableRows, ...] = ()
    schema_dialect = defaults.schema_dialect
    if defaults.structured:
        sql_by_dialect = read_sql_by_dialect(obj.get("sql_by_dialect"))
        schema_by_dialect = read_sql_by_dialect(
            obj.get("sql_context_by_dialect"), "sql_context_by_dialect"
        )
        rows = read_rows(obj.get("rows"))
        schema_dialect = read_dialect(obj.get("schema_dialect"), "schema_dialect") or (
            schema_dialect or sql_dialect
        )
        used |= {"sql_by_dialect", "sql_context_by_dialect", "rows", "schema_dialect"}
    record_id = read_text(values.get("id"), "id")
    return DatasetRecord(
        id=record_id if record_id not in (None, "") else fallback_id,
        sql=sql,
        question=read_text(values.get("question"), "question"),
        sql_dialect=sql_dialect,
        schema_ddl=read_text(values.get("schema_ddl"), "schema_ddl") or None,
        schema_dialect=schema_dialect or sql_dialect,
        db_id=read_text(values.get("db_id"), "db_id"),
        rows=rows,
        sql_by_dialect=sql_by_dialect,
        schema_by_dialect=schema_by_dialect,
        source=source,
        line=line,
        extra={key: value for key, value in obj.items() if key not in used},
    )
