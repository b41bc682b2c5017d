"""MySQL and MariaDB general and slow query logs.

General log: `[time] id Command\targument`, where MariaDB writes `YYMMDD HH:MM:SS` and MySQL
8 an ISO timestamp, the time only when it changed, and a multi-line query continues on raw
lines. Slow log: `# Time:` / `# User@Host:` / `# Query_time: ... Rows_sent: ...` headers, then
`use db;` and `SET timestamp=...;` set-up lines, then the statement, up to the next header.
Neither log records errors.
"""

from __future__ import annotations

import re
from typing import Any

from shared.ingest.lines import RecordParser
from shared.ingest.model import Output, Statement

DIALECT = "mysql"
_GENERAL_HEAD = re.compile(
    r"^(?:\d{6}\s+\d{1,2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"\s+(?P<id>\d+)\s(?P<command>Query|Execute|Connect|Init DB|Quit|Prepare|Close stmt|"
    r"Reset stmt|Fetch|Field List|Change user|Statistics|Ping|Refresh|Shutdown|Kill|"
    r"Binlog Dump|Set option|Long Data|Daemon|Processlist|Debug|Sleep|Time)\t?(?P<arg>.*)$",
    re.DOTALL,
)
# Banner lines the server writes when it starts or reopens the log.
_BANNERS = re.compile(
    r"^(?:\S+, Version: .*started with:|Tcp port: .*|Time\s+Id\s+Command\s+Argument)\s*$"
)
_CONNECT_DB = re.compile(r"\son\s+(\S+)")
_USE = re.compile(r"^use\s+`?([^`;\s]+)`?\s*;?$", re.I)
_SQL_COMMANDS = frozenset({"Query", "Execute"})
_SLOW_START = re.compile(r"^# (?:Time|User@Host): ")
_SLOW_FIELD = re.compile(r"(\w+): (\S+)")
_SETUP = re.compile(r"^(?:use\s+`?(?P<db>[^`;\s]+)`?|SET\s+timestamp\s*=\s*\d+)\s*;\s*$", re.I)


class MysqlGeneralParser(RecordParser):
    """One record per command; a thread's current database comes from Connect and Init DB."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.databases: dict[str, str] = {}

    def starts_record(self, line: str) -> bool:
        return _GENERAL_HEAD.match(line) is not None

    def is_noise(self, line: str) -> bool:
        return not line.strip() or _BANNERS.match(line) is not None

    def continues_record(self, line: str) -> bool:
        return _BANNERS.match(line) is None

    def interpret(self, text: str, number: int) -> list[Output]:
        match = _GENERAL_HEAD.match(text.rstrip("\r\n"))
        if match is None:
            return [self.issue(number, "not a general log entry", text)]
        thread, command, argument = match.group("id"), match.group("command"), match.group("arg")
        if command == "Connect":
            found = _CONNECT_DB.search(argument)
            if found and found.group(1) != "using":
                self.databases[thread] = found.group(1)
            return []
        if command == "Init DB":
            self.databases[thread] = argument.strip()
            return []
        if command == "Quit":
            self.databases.pop(thread, None)
            return []
        if command not in _SQL_COMMANDS or not argument.strip():
            return []
        use = _USE.match(argument.strip())
        if use:
            self.databases[thread] = use.group(1)
        return [
            Statement(
                sql=argument.strip(),
                source=self.source,
                position=f"line {number}",
                dialect=DIALECT,
                db_id=self.databases.get(thread),
            )
        ]

    def snapshot(self) -> dict[str, Any]:
        return {"databases": dict(self.databases)}

    def restore(self, state: dict[str, Any]) -> None:
        self.databases = dict(state.get("databases", {}))


class MysqlSlowParser(RecordParser):
    """One record per slow-log entry: `# ...` headers, set-up lines, the statement."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.database: str | None = None

    def starts_record(self, line: str) -> bool:
        if not _SLOW_START.match(line):
            return False
        # "# Time:" is followed by "# User@Host:" in the same entry: only the first one starts.
        return not (line.startswith("# User@Host:") and self._only_time_so_far())

    def _only_time_so_far(self) -> bool:
        return bool(self._lines) and all(line.startswith("# Time:") for line in self._lines)

    def is_noise(self, line: str) -> bool:
        return not line.strip() or _BANNERS.match(line) is not None

    def continues_record(self, line: str) -> bool:
        return _BANNERS.match(line) is None

    def interpret(self, text: str, number: int) -> list[Output]:
        fields: dict[str, str] = {}
        body: list[str] = []
        for line in text.splitlines():
            if not body and line.startswith("#"):
                fields.update(_SLOW_FIELD.findall(line))
                continue
            setup = _SETUP.match(line) if not body else None
            if setup:
                self.database = setup.group("db") or self.database
                continue
            body.append(line)
        sql = "\n".join(body).strip()
        if sql.endswith(";"):
            sql = sql[:-1].rstrip()
        if "Query_time" not in fields:
            return [self.issue(number, "slow log entry without # Query_time", text)]
        if not sql or sql.startswith("# administrator command"):
            return []
        schema = fields.get("Schema") or self.database
        return [
            Statement(
                sql=sql,
                source=self.source,
                position=f"line {number}",
                dialect=DIALECT,
                duration_ms=_to_ms(fields.get("Query_time")),
                rows=_rows(fields),
                db_id=schema or None,
            )
        ]

    def snapshot(self) -> dict[str, Any]:
        return {"database": self.database}

    def restore(self, state: dict[str, Any]) -> None:
        self.database = state.get("database")


def _to_ms(seconds: str | None) -> float | None:
    try:
        return round(float(seconds) * 1000, 6) if seconds is not None else None
    except ValueError:
        return None


def _rows(fields: dict[str, str]) -> int | None:
    """Rows a query returned, or for a data change the rows it affected."""
    for name in ("Rows_sent", "Rows_affected"):
        value = fields.get(name)
        if value is not None and value.isdigit() and int(value) > 0:
            return int(value)
    value = fields.get("Rows_sent")
    return int(value) if value is not None and value.isdigit() else None
