"""PostgreSQL server logs: stderr (any log_line_prefix), csvlog and jsonlog.

All three become the same entries (session, severity, message, detail, statement), which one
state machine per session turns into statements. It pairs what PostgreSQL logs separately:
`statement:` then `duration:` (log_statement=all with log_min_duration_statement), an `execute`
with its `DETAIL: parameters:`, and an `ERROR` with the `STATEMENT` that caused it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from shared.ingest.lines import RecordParser
from shared.ingest.model import Output, Statement

DIALECT = "postgres"
_SEVERITIES = (
    "LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|"
    "LOCATION"
)
# Any log_line_prefix, then "SEVERITY:  message" (PostgreSQL writes two spaces).
_HEADER = re.compile(
    rf"^(?P<prefix>[^\t]{{0,400}}?)\b(?P<sev>{_SEVERITIES}):  (?P<msg>.*)$", re.DOTALL
)
_PID = re.compile(r"\[(\d+)\]|\bpid=(\d+)")
_DB = re.compile(r"\bdb=([^\s,]+)")
_CSV_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_DURATION = re.compile(
    r"^duration: (?P<ms>[\d.]+) ms(?:\s+(?P<phase>statement|parse|bind|execute|fastpath)"
    r"(?P<name>[^:\n]*): (?P<sql>.*))?$",
    re.DOTALL,
)
_STATEMENT = re.compile(r"^(?P<phase>statement|execute)(?P<name>[^:\n]*): (?P<sql>.*)$", re.DOTALL)
_PARAMS = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
_PARAM_REF = re.compile(r"\$(\d+)(?!\d)")
_ERRORS = frozenset({"ERROR", "FATAL", "PANIC"})
# csvlog columns (PostgreSQL 13+; 14 added three more at the end).
_CSV_COLUMNS = 23
_CSV_SEVERITY, _CSV_MESSAGE, _CSV_DETAIL, _CSV_QUERY = 11, 13, 14, 19


@dataclass
class PgEntry:
    session: str
    severity: str
    message: str
    number: int
    detail: str | None = None
    statement: str | None = None
    dbname: str | None = None


@dataclass
class Pending:
    sql: str
    number: int
    duration_ms: float | None = None
    error: str | None = None
    params: dict[str, str] | None = None
    dbname: str | None = None


def parse_parameters(detail: str | None) -> dict[str, str] | None:
    if not detail or not detail.startswith("parameters:"):
        return None
    return {match.group(1): match.group(2) for match in _PARAMS.finditer(detail)}


def bind_parameters(sql: str, params: dict[str, str] | None) -> str:
    """Put logged parameter values back into `$n`, so the seed executes (then it is scrubbed)."""
    if not params:
        return sql
    return _PARAM_REF.sub(lambda m: params.get(m.group(1), m.group(0)), sql)


class PgSessions:
    """Per-backend state: the statement whose duration, parameters or error may still come."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pending: dict[str, Pending] = {}
        self.errors: dict[str, str] = {}

    def handle(self, entry: PgEntry) -> list[Output]:
        out: list[Output] = []
        key, severity, message = entry.session, entry.severity, entry.message
        waiting_error = self.errors.pop(key, None)
        if severity == "LOG":
            out.extend(self._handle_log(entry))
        elif severity == "DETAIL":
            params = parse_parameters(message)
            if params is not None and key in self.pending:
                self.pending[key].params = params
        elif severity in _ERRORS:
            out.extend(self._handle_error(entry))
        elif severity == "STATEMENT":
            current = self.pending.get(key)
            if current is not None and current.sql.strip() == message.strip():
                current.error = current.error or waiting_error
                out.extend(self._emit(key))
            elif waiting_error is not None:
                out.extend(self._emit(key))
                self.pending[key] = Pending(message, entry.number, error=waiting_error)
                out.extend(self._emit(key))
        return out

    def _handle_log(self, entry: PgEntry) -> list[Output]:
        out: list[Output] = []
        key = entry.session
        duration = _DURATION.match(entry.message)
        if duration:
            ms = float(duration.group("ms"))
            phase = duration.group("phase")
            if phase is None:
                # The text was logged before (log_statement): this closes that statement.
                if key in self.pending and self.pending[key].duration_ms is None:
                    self.pending[key].duration_ms = ms
                    out.extend(self._emit(key))
                return out
            if phase in ("statement", "execute"):
                out.extend(self._emit(key))
                self.pending[key] = Pending(
                    duration.group("sql"),
                    entry.number,
                    duration_ms=ms,
                    params=parse_parameters(entry.detail),
                    dbname=entry.dbname,
                )
            return out  # parse and bind phases repeat the execute's text: not executions
        statement = _STATEMENT.match(entry.message)
        if statement:
            out.extend(self._emit(key))
            self.pending[key] = Pending(
                statement.group("sql"),
                entry.number,
                params=parse_parameters(entry.detail),
                dbname=entry.dbname,
            )
        return out

    def _handle_error(self, entry: PgEntry) -> list[Output]:
        out: list[Output] = []
        key = entry.session
        current = self.pending.get(key)
        if entry.statement is not None:
            # csvlog/jsonlog carry the failing statement in the same entry.
            if current is None or current.sql.strip() != entry.statement.strip():
                out.extend(self._emit(key))
                self.pending[key] = Pending(entry.statement, entry.number, dbname=entry.dbname)
            self.pending[key].error = entry.message
            out.extend(self._emit(key))
        elif current is not None and current.duration_ms is None:
            current.error = entry.message
        else:
            self.errors[key] = entry.message
        return out

    def _emit(self, key: str) -> list[Output]:
        pending = self.pending.pop(key, None)
        if pending is None:
            return []
        return [
            Statement(
                sql=bind_parameters(pending.sql, pending.params).strip(),
                source=self.source,
                position=f"line {pending.number}",
                dialect=DIALECT,
                duration_ms=pending.duration_ms,
                error=pending.error,
                db_id=pending.dbname,
            )
        ]

    def flush(self) -> list[Output]:
        out: list[Output] = []
        for key in list(self.pending):
            out.extend(self._emit(key))
        self.errors.clear()
        return out

    def snapshot(self) -> dict[str, Any]:
        return {
            "pending": {key: asdict(value) for key, value in self.pending.items()},
            "errors": dict(self.errors),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.pending = {key: Pending(**value) for key, value in state.get("pending", {}).items()}
        self.errors = dict(state.get("errors", {}))


class _PgParser(RecordParser):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.sessions = PgSessions(source)

    def handle(self, entry: PgEntry) -> list[Output]:
        return self.sessions.handle(entry)

    def flush_sessions(self) -> list[Output]:
        return self.sessions.flush()

    def snapshot(self) -> dict[str, Any]:
        return self.sessions.snapshot()

    def restore(self, state: dict[str, Any]) -> None:
        self.sessions.restore(state)


class PgStderrParser(_PgParser):
    """Plain stderr logs: continuation lines of a multi-line message start with a tab."""

    def starts_record(self, line: str) -> bool:
        return not line.startswith("\t") and _HEADER.match(line) is not None

    def continues_record(self, line: str) -> bool:
        return line.startswith("\t")

    def interpret(self, text: str, number: int) -> list[Output]:
        match = _HEADER.match(text.rstrip("\r\n").replace("\n\t", "\n"))
        if match is None:
            return [self.issue(number, "not a PostgreSQL log line", text)]
        prefix = match.group("prefix")
        pid = _PID.search(prefix)
        db = _DB.search(prefix)
        session = next((g for g in pid.groups() if g), "-") if pid else "-"
        entry = PgEntry(
            session,
            match.group("sev"),
            match.group("msg"),
            number,
            dbname=db.group(1) if db else None,
        )
        return self.handle(entry)


class PgCsvParser(_PgParser):
    """csvlog: one CSV row per entry; quoted fields hold newlines."""

    def starts_record(self, line: str) -> bool:
        return _CSV_START.match(line) is not None

    def is_complete(self, lines: list[str]) -> bool:
        return lines[-1].endswith("\n") and sum(line.count('"') for line in lines) % 2 == 0

    def interpret(self, text: str, number: int) -> list[Output]:
        try:
            rows = list(csv.reader(io.StringIO(text.replace("\0", ""))))
        except csv.Error as exc:
            return [self.issue(number, f"bad csvlog row: {exc}", text)]
        if len(rows) != 1 or len(rows[0]) < _CSV_COLUMNS:
            return [self.issue(number, "truncated or malformed csvlog row", text)]
        row = rows[0]
        entry = PgEntry(
            session=row[3] or "-",
            severity=row[_CSV_SEVERITY],
            message=row[_CSV_MESSAGE],
            number=number,
            detail=row[_CSV_DETAIL] or None,
            statement=row[_CSV_QUERY] or None,
            dbname=row[2] or None,
        )
        return self.handle(entry)


class PgJsonParser(_PgParser):
    """jsonlog (PostgreSQL 15+): one JSON object per line."""

    def starts_record(self, line: str) -> bool:
        return line.lstrip().startswith("{")

    def is_complete(self, lines: list[str]) -> bool:
        return True

    def interpret(self, text: str, number: int) -> list[Output]:
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            return [self.issue(number, f"invalid JSON: {exc}", text)]
        if not isinstance(obj, dict) or not isinstance(obj.get("message"), str):
            return [self.issue(number, "jsonlog entry without a message", text)]
        entry = PgEntry(
            session=str(obj.get("pid", "-")),
            severity=str(obj.get("error_severity", "LOG")),
            message=obj["message"],
            number=number,
            detail=obj.get("detail") if isinstance(obj.get("detail"), str) else None,
            statement=obj.get("statement") if isinstance(obj.get("statement"), str) else None,
            dbname=obj.get("dbname") if isinstance(obj.get("dbname"), str) else None,
        )
        return self.handle(entry)
