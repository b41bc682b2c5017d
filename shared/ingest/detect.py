"""Which parser reads a file: the user's `--format` narrowed down by sniffing its first lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from shared.ingest.lines import RecordParser
from shared.ingest.mysql import _GENERAL_HEAD, MysqlGeneralParser, MysqlSlowParser
from shared.ingest.otel import SQL_KEYS, OtelParser
from shared.ingest.postgres import _HEADER, PgCsvParser, PgJsonParser, PgStderrParser


class InputFormat(StrEnum):
    """What `sqlsynth ingest --format` accepts."""

    AUTO = "auto"
    POSTGRES = "postgres"
    MYSQL = "mysql"
    OTEL = "otel"
    DATASET = "dataset"


class LogFormat(StrEnum):
    """What a file turned out to be."""

    PG_STDERR = "postgres-stderr"
    PG_CSV = "postgres-csvlog"
    PG_JSON = "postgres-jsonlog"
    MYSQL_GENERAL = "mysql-general"
    MYSQL_SLOW = "mysql-slow"
    OTEL = "otel"
    DATASET = "dataset"


PARSERS: dict[LogFormat, Callable[[str], RecordParser]] = {
    LogFormat.PG_STDERR: PgStderrParser,
    LogFormat.PG_CSV: PgCsvParser,
    LogFormat.PG_JSON: PgJsonParser,
    LogFormat.MYSQL_GENERAL: MysqlGeneralParser,
    LogFormat.MYSQL_SLOW: MysqlSlowParser,
    LogFormat.OTEL: OtelParser,
}
FAMILY: dict[LogFormat, InputFormat] = {
    LogFormat.PG_STDERR: InputFormat.POSTGRES,
    LogFormat.PG_CSV: InputFormat.POSTGRES,
    LogFormat.PG_JSON: InputFormat.POSTGRES,
    LogFormat.MYSQL_GENERAL: InputFormat.MYSQL,
    LogFormat.MYSQL_SLOW: InputFormat.MYSQL,
    LogFormat.OTEL: InputFormat.OTEL,
    LogFormat.DATASET: InputFormat.DATASET,
}
_CSVLOG = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z0-9+:\-]+,")
_SLOW = re.compile(r"^# (?:Query_time|User@Host|Time): ")
_DATASET_SUFFIXES = frozenset({".csv", ".tsv", ".json"})
_SNIFF_BYTES = 256 * 1024
_SELF_DESCRIBING = frozenset({LogFormat.PG_CSV, LogFormat.PG_JSON, LogFormat.OTEL})


class UnknownFormat(ValueError):
    """No parser recognises the file (or not the family asked for)."""


def sniff_lines(path: Path, limit: int = 200) -> list[str]:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    return head.decode("utf-8", errors="replace").splitlines()[:limit]


def _json_keys(line: str) -> set[str] | None:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
    return set(obj) if isinstance(obj, dict) else None


def guess_format(lines: list[str], suffix: str = "") -> LogFormat | None:
    """The first format with a positive signal in the sampled lines.

    A .csv/.json/.tsv file is a dataset unless it is a PostgreSQL csvlog/jsonlog or a trace.
    """
    guess = _guess_from_lines(lines)
    if suffix in _DATASET_SUFFIXES and guess not in _SELF_DESCRIBING:
        return LogFormat.DATASET
    return guess


def _guess_from_lines(lines: list[str]) -> LogFormat | None:
    for line in lines:
        if _CSVLOG.match(line):
            return LogFormat.PG_CSV
        if _SLOW.match(line):
            return LogFormat.MYSQL_SLOW
        keys = _json_keys(line) if line.startswith("{") else None
        if keys is not None:
            if "error_severity" in keys:
                return LogFormat.PG_JSON
            if keys & {"resourceSpans", "traceId", "trace_id", "spanId", "span_id", "context"}:
                return LogFormat.OTEL
            if any(key in line for key in SQL_KEYS):
                return LogFormat.OTEL
            return LogFormat.DATASET
        if line.startswith("{") and any(key in line for key in SQL_KEYS):
            return LogFormat.OTEL  # a pretty-printed span's first lines
        if not line.startswith("\t") and _HEADER.match(line):
            return LogFormat.PG_STDERR
        if _GENERAL_HEAD.match(line):
            return LogFormat.MYSQL_GENERAL
    return None


def detect_format(path: Path, requested: InputFormat | str = InputFormat.AUTO) -> LogFormat:
    wanted = InputFormat(requested)
    if wanted is InputFormat.DATASET:
        return LogFormat.DATASET
    if wanted is InputFormat.OTEL:
        return LogFormat.OTEL
    suffix = path.suffix.lower()
    guess = guess_format(sniff_lines(path), suffix)
    if wanted is InputFormat.AUTO:
        if guess is None:
            raise UnknownFormat(f"{path}: not a PostgreSQL, MySQL, trace or dataset file")
        return guess
    if guess is not None and FAMILY[guess] is wanted:
        return guess
    # The family was given but the head of the file says nothing (empty, or garbage first):
    # fall back on the family's most common format.
    return LogFormat.PG_STDERR if wanted is InputFormat.POSTGRES else LogFormat.MYSQL_GENERAL
