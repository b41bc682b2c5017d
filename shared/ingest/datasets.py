"""Datasets as seeds: Gretel, Spider, BIRD, and any JSONL/JSON/CSV file with a SQL column.

Reading is `shared.datasets.load_dataset`'s; this module only maps its records onto statements
(keeping question, schema and database) and its load errors onto issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.datasets import DatasetFormat, DatasetRecord, load_dataset
from shared.ingest.model import IngestIssue, Output, Statement
from shared.ingest.scrub import scrub_text
from shared.sql.dialects import sqlglot_dialect

# Excel writes a carriage return inside a cell as this escape (the SDSS log went through it).
_EXCEL_CR = "_x000D_"
# Columns that query logs exported as tables use for elapsed time (seconds) and row counts.
_SECONDS_KEYS = ("elapsed", "elapsed_s", "duration_s", "runtime")
_MS_KEYS = ("duration_ms", "elapsed_ms")
_ROW_KEYS = ("rows", "row_count", "rows_returned")
_ITEM_FORMATS = frozenset({DatasetFormat.BIRD, DatasetFormat.SPIDER, DatasetFormat.JSON})


class DatasetSource:
    """Iterate one dataset file as statements; `records` counts rows read."""

    def __init__(self, path: Path, dialect: str | None = None) -> None:
        self.path = path
        self.dialect = dialect
        self.records = 0

    def __iter__(self) -> Iterator[Output]:
        engine_name = None
        if self.dialect:
            from shared.ingest.model import engine_of

            engine = engine_of(self.dialect)
            engine_name = engine.value if engine else None
        reader = load_dataset(self.path, dialect=engine_name)
        unit = "item" if reader.format in _ITEM_FORMATS else "line"
        reported = 0
        for record in reader:
            self.records += 1
            yield record_statement(record, unit, self.dialect)
            while reported < len(reader.errors):
                yield dataset_issue(reader.errors[reported].to_json(), str(self.path))
                reported += 1
        for error in reader.errors[reported:]:
            yield dataset_issue(error.to_json(), str(self.path))


def dataset_issue(error: dict[str, Any], source: str) -> IngestIssue:
    return IngestIssue(
        source, str(error["position"]), str(error["message"]), scrub_text(str(error["raw"]))
    )


def record_statement(record: DatasetRecord, unit: str, dialect: str | None) -> Statement:
    if dialect is None and record.sql_dialect is not None:
        dialect = sqlglot_dialect(record.sql_dialect)
    return Statement(
        sql=record.sql.replace(_EXCEL_CR, "").strip(),
        source=record.source,
        position=f"{unit} {record.line}" if record.line is not None else f"id {record.id}",
        dialect=dialect,
        duration_ms=_duration_ms(record.extra),
        rows=_first_int(record.extra, _ROW_KEYS),
        question=record.question,
        schema_ddl=record.schema_ddl,
        db_id=record.db_id,
        evidence=_text(record.extra.get("evidence")),
    )


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _duration_ms(extra: dict[str, Any]) -> float | None:
    for key in _MS_KEYS:
        value = _as_float(extra.get(key))
        if value is not None:
            return value
    for key in _SECONDS_KEYS:
        value = _as_float(extra.get(key))
        if value is not None:
            return round(value * 1000, 6)
    return None


def _first_int(extra: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = _as_float(extra.get(key))
        if value is not None and value >= 0:
            return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
