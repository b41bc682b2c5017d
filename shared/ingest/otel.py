"""Application traces: OpenTelemetry-style spans as JSON, one per line or pretty-printed.

Accepted shapes: a span object with `attributes` as a map (ConsoleSpanExporter, most SDK
dumps) or as OTLP's key/value list, and OTLP JSON export batches (`resourceSpans` →
`scopeSpans` → `spans`). The SQL is `db.query.text` (semantic conventions 1.25+) or
`db.statement` (older); the engine `db.system.name` or `db.system`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.ingest.lines import RecordParser
from shared.ingest.model import Output, Statement

SQL_KEYS = ("db.query.text", "db.statement")
SYSTEM_KEYS = ("db.system.name", "db.system")
DB_KEYS = ("db.namespace", "db.name")
ROW_KEYS = ("db.response.returned_rows", "db.rows_affected", "db.row_count")
# db.system values → sqlglot dialects (the OpenTelemetry registry's names).
SYSTEMS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "tsql",
    "microsoft.sql_server": "tsql",
    "oracle": "oracle",
    "oracle.db": "oracle",
    "clickhouse": "clickhouse",
    "trino": "trino",
    "snowflake": "snowflake",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "bigquery": "bigquery",
}
_ERROR_CODES = {2, "2", "ERROR", "STATUS_CODE_ERROR"}


class OtelParser(RecordParser):
    """A record is one JSON object: one line, or lines until its braces balance."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._depth = 0
        self._in_string = False
        self._escaped = False

    def starts_record(self, line: str) -> bool:
        return line.startswith("{")

    def is_complete(self, lines: list[str]) -> bool:
        if len(lines) == 1:
            self._depth, self._in_string, self._escaped = 0, False, False
        for char in lines[-1]:
            if self._escaped:
                self._escaped = False
            elif self._in_string:
                if char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
            elif char in "}]":
                self._depth -= 1
        return self._depth <= 0

    def interpret(self, text: str, number: int) -> list[Output]:
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            return [
                self.issue(
                    number,
                    f"invalid or truncated JSON: {exc}",
                    text,
                )
            ]
        if not isinstance(obj, dict):
            return [self.issue(number, "a trace record must be a JSON object", text)]
        out: list[Output] = []
        spans = list(iterate_spans(obj))
        for index, span in enumerate(spans, start=1):
            position = f"line {number}" if len(spans) == 1 else f"line {number} span {index}"
            statement = span_statement(span, self.source, position)
            if statement is not None:
                out.append(statement)
        return out


def iterate_spans(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The spans of an OTLP export batch, or the object itself when it is a span."""
    batches = obj.get("resourceSpans")
    if not isinstance(batches, list):
        yield obj
        return
    for batch in batches:
        if not isinstance(batch, dict):
            continue
        for scope in batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []:
            if isinstance(scope, dict):
                for span in scope.get("spans") or []:
                    if isinstance(span, dict):
                        yield span


def attribute_map(span: dict[str, Any]) -> dict[str, Any]:
    """Attributes as a plain dict, whether a map or OTLP's [{key, value: {stringValue}}]."""
    raw = span.get("attributes")
    if isinstance(raw, dict):
        return raw
    out: dict[str, Any] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                value = item.get("value")
                if isinstance(value, dict) and value:
                    out[item["key"]] = next(iter(value.values()))
                else:
                    out[item["key"]] = value
    return out


def span_statement(span: dict[str, Any], source: str, position: str) -> Statement | None:
    attrs = attribute_map(span)
    sql = next((attrs[k] for k in SQL_KEYS if isinstance(attrs.get(k), str) and attrs[k]), None)
    if sql is None:
        return None
    system = next((str(attrs[k]).lower() for k in SYSTEM_KEYS if attrs.get(k)), None)
    db = next((str(attrs[k]) for k in DB_KEYS if attrs.get(k)), None)
    rows = next((_as_int(attrs[k]) for k in ROW_KEYS if k in attrs), None)
    return Statement(
        sql=sql.strip(),
        source=source,
        position=position,
        dialect=SYSTEMS.get(system) if system else None,
        duration_ms=span_duration_ms(span),
        rows=rows,
        error=span_error(span, attrs),
        db_id=db,
    )


def span_duration_ms(span: dict[str, Any]) -> float | None:
    start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    if start is not None and end is not None:
        begin, finish = _as_int(start), _as_int(end)
        if begin is not None and finish is not None and finish >= begin:
            return round((finish - begin) / 1e6, 6)
    start, end = span.get("start_time"), span.get("end_time")
    if isinstance(start, str) and isinstance(end, str):
        try:
            delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
        except ValueError:
            return None
        return round(delta.total_seconds() * 1000, 6)
    return None


def span_error(span: dict[str, Any], attrs: dict[str, Any]) -> str | None:
    status = span.get("status")
    failed = False
    message = None
    if isinstance(status, dict):
        code = status.get("code", status.get("status_code"))
        failed = code in _ERROR_CODES
        message = status.get("message") or status.get("description")
    for event in span.get("events") or []:
        if isinstance(event, dict) and event.get("name") == "exception":
            event_attrs = attribute_map(event)
            failed = True
            message = message or event_attrs.get("exception.message")
    if attrs.get("error.type"):
        failed = True
        message = message or str(attrs["error.type"])
    if not failed:
        return None
    return str(message) if message else "error"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
