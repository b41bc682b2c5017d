"""`load_dataset`: one iterator of DatasetRecord over every dataset format we read.

Formats: Gretel JSONL, our own output JSONL, BIRD mini-dev JSON (+ schemas/<db_id>.sql), Spider
(dev.json + tables.json) and generic JSONL / JSON array / CSV with a SQL column. A malformed row
becomes a LoadError in `reader.errors` (with its line) and the iteration goes on.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from proto.common import Engine
from shared.datasets.bird_metadata import METADATA_FILE, annotate_schema, read_bird_metadata
from shared.datasets.fields import MalformedRow, RowDefaults, build_record, parse_field_map
from shared.datasets.formats import DatasetFormat
from shared.datasets.record import DatasetError, DatasetRecord, LoadError, truncate_raw
from shared.datasets.spider import render_spider_ddl
from shared.sql.dialects import parse_engine

# Gretel's sql_context was re-printed in SQLite (see ../shared/data/SOURCES.md); BIRD's schemas
# and Spider's source databases are SQLite too.
FORMAT_DEFAULTS: dict[DatasetFormat, RowDefaults] = {
    DatasetFormat.GRETEL: RowDefaults(Engine.SQLITE, Engine.SQLITE),
    DatasetFormat.SQLSYNTH: RowDefaults(Engine.SQLITE, None, structured=True),
    DatasetFormat.JSONL: RowDefaults(),
    DatasetFormat.JSON: RowDefaults(),
    DatasetFormat.CSV: RowDefaults(),
}
DIALECT_IN_NAME = re.compile(
    r"(?:^|[_\-.])(sqlite|mysql|mariadb|postgresql|postgres|pg)(?:$|[_\-.])"
)
CSV_DELIMITERS = (",", "\t", ";", "|")
# Spider keeps tokenised and parsed copies of each query; they add megabytes and no information.
SPIDER_DERIVED_KEYS = frozenset({"query_toks", "query_toks_no_value", "question_toks", "sql"})


class DatasetReader(Iterator[DatasetRecord]):
    """Iterates records; malformed rows are collected in `errors` as the iteration reaches them."""

    def __init__(self, path: Path, fmt: DatasetFormat, rows: Iterator[DatasetRecord]) -> None:
        self.path = path
        self.format = fmt
        self.errors: list[LoadError] = []
        self._rows = rows

    def __next__(self) -> DatasetRecord:
        return next(self._rows)

    def __iter__(self) -> DatasetReader:
        return self


def load_dataset(
    path: str | Path,
    *,
    format: str = "auto",
    field_map: Mapping[str, str] | None = None,
    dialect: Engine | str | None = None,
    schema_dir: str | Path | None = None,
    tables_path: str | Path | None = None,
) -> DatasetReader:
    """Open a dataset file. `dialect` overrides the SQL dialect the format or file name implies;
    `schema_dir` (BIRD) and `tables_path` (Spider) default to the files beside `path`."""
    source = Path(path)
    if not source.is_file():
        raise DatasetError(f"no such file: {source}")
    try:
        fmt = DatasetFormat(format)
    except ValueError as exc:
        known = ", ".join(f.value for f in DatasetFormat)
        raise DatasetError(f"unknown format {format!r} (known: {known})") from exc
    mapping = parse_field_map(field_map)
    try:
        engine = parse_engine(dialect) if isinstance(dialect, str) else dialect
    except ValueError as exc:
        raise DatasetError(str(exc)) from exc
    whole_document = {DatasetFormat.BIRD, DatasetFormat.SPIDER, DatasetFormat.JSON}
    document: Any = None
    if fmt in whole_document or (fmt is DatasetFormat.AUTO and source.suffix.lower() == ".json"):
        document = read_json_document(source)
    if fmt is DatasetFormat.AUTO:
        fmt = detect_format(source, document)
    reader = DatasetReader(source, fmt, iter(()))
    report = reader.errors.append
    if fmt is DatasetFormat.BIRD:
        bird_dialect = engine or dialect_from_name(source) or Engine.SQLITE
        schemas = Path(schema_dir) if schema_dir else source.parent / "schemas"
        reader._rows = iterate_bird(source, document, bird_dialect, schemas, report)
    elif fmt is DatasetFormat.SPIDER:
        tables = Path(tables_path) if tables_path else source.parent / "tables.json"
        spider_dialect = engine or Engine.SQLITE
        reader._rows = iterate_spider(source, document, spider_dialect, tables, report)
    else:
        defaults = FORMAT_DEFAULTS[fmt]
        if engine is not None:
            defaults = RowDefaults(engine, defaults.schema_dialect or engine, defaults.structured)
        if fmt is DatasetFormat.CSV:
            reader._rows = iterate_csv(source, mapping, defaults, report)
        elif fmt is DatasetFormat.JSON:
            reader._rows = iterate_json_array(source, document, mapping, defaults, report)
        else:
            reader._rows = iterate_jsonl(source, mapping, defaults, report)
    return reader


def read_json_document(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not a JSON document: {exc}") from exc


def detect_format(path: Path, document: Any) -> DatasetFormat:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return DatasetFormat.CSV
    if document is not None:
        if not isinstance(document, list):
            raise DatasetError(f"{path}: expected a JSON array of records")
        first = next((item for item in document if isinstance(item, dict)), {})
        if {"SQL", "db_id", "question_id"} <= set(first):
            return DatasetFormat.BIRD
        if {"query", "db_id", "question"} <= set(first):
            return DatasetFormat.SPIDER
        return DatasetFormat.JSON
    first_row = peek_jsonl(path)
    if "sql_by_dialect" in first_row:
        return DatasetFormat.SQLSYNTH
    if {"sql_prompt", "sql_context"} <= set(first_row):
        return DatasetFormat.GRETEL
    return DatasetFormat.JSONL


def peek_jsonl(path: Path, limit: int = 50) -> dict[str, Any]:
    """The first decodable object among the first lines (a garbage first line must not decide)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                return obj
    return {}


def dialect_from_name(path: Path) -> Engine | None:
    found = DIALECT_IN_NAME.search(path.stem.lower())
    return parse_engine(found.group(1)) if found else None


Report = Callable[[LoadError], None]


def iterate_jsonl(
    path: Path, mapping: Mapping[str, str], defaults: RowDefaults, report: Report
) -> Iterator[DatasetRecord]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                yield build_record(
                    obj,
                    field_map=mapping,
                    defaults=defaults,
                    source=str(path),
                    line=number,
                    fallback_id=str(number),
                )
            except json.JSONDecodeError as exc:
                report(LoadError(str(path), number, f"invalid JSON: {exc.msg}", truncate_raw(line)))
            except MalformedRow as exc:
                report(LoadError(str(path), number, str(exc), truncate_raw(line.rstrip())))


def iterate_json_array(
    path: Path, document: Any, mapping: Mapping[str, str], defaults: RowDefaults, report: Report
) -> Iterator[DatasetRecord]:
    if not isinstance(document, list):
        raise DatasetError(f"{path}: expected a JSON array of records")
    for number, obj in enumerate(document, start=1):
        try:
            yield build_record(
                obj,
                field_map=mapping,
                defaults=defaults,
                source=str(path),
                line=number,
                fallback_id=str(number - 1),
            )
        except MalformedRow as exc:
            report(LoadError(str(path), number, str(exc), truncate_raw(json.dumps(obj)), "item"))


def iterate_csv(
    path: Path, mapping: Mapping[str, str], defaults: RowDefaults, report: Report
) -> Iterator[DatasetRecord]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        # csv.Sniffer misreads quoted multi-line SQL; the header line alone names the delimiter.
        header_line = handle.readline()
        handle.seek(0)
        delimiter = max(CSV_DELIMITERS, key=header_line.count)
        rows = csv.reader(handle, delimiter=delimiter)
        header = next(rows, None)
        if header is None:
            return
        end = rows.line_num
        for values in rows:
            start, end = end + 1, rows.line_num
            if not any(value.strip() for value in values):
                continue
            raw = truncate_raw(delimiter.join(values))
            if len(values) != len(header):
                message = f"{len(values)} fields where the header has {len(header)}"
                report(LoadError(str(path), start, message, raw))
                continue
            try:
                yield build_record(
                    dict(zip(header, values, strict=True)),
                    field_map=mapping,
                    defaults=defaults,
                    source=str(path),
                    line=start,
                    fallback_id=str(start),
                )
            except MalformedRow as exc:
                report(LoadError(str(path), start, str(exc), raw))


def iterate_bird(
    path: Path, document: Any, dialect: Engine, schema_dir: Path, report: Report
) -> Iterator[DatasetRecord]:
    """BIRD mini-dev: gold SQL in the file's dialect, SQLite DDL from schemas/<db_id>.sql, with
    the sample values of the metadata file beside it as comments (`bird_metadata.py`)."""
    schemas: dict[str, str | None] = {}
    samples, ranges = read_bird_metadata(schema_dir.parent / METADATA_FILE)
    for number, obj in enumerate(require_list(path, document), start=1):
        raw = truncate_raw(json.dumps(obj))
        if not isinstance(obj, dict) or not isinstance(obj.get("SQL"), str) or not obj["SQL"]:
            report(
                LoadError(str(path), number, "expected an object with a SQL string", raw, "item")
            )
            continue
        db_id = obj.get("db_id")
        if not isinstance(db_id, str) or not db_id:
            report(LoadError(str(path), number, "missing db_id", raw, "item"))
            continue
        if db_id not in schemas:
            schema_file = schema_dir / f"{db_id}.sql"
            schemas[db_id] = (
                annotate_schema(
                    schema_file.read_text(encoding="utf-8"),
                    samples.get(db_id, {}),
                    ranges.get(db_id, {}),
                )
                if schema_file.is_file()
                else None
            )
        ddl = schemas[db_id]
        if ddl is None:
            message = f"no schema file {schema_dir / (db_id + '.sql')}"
            report(LoadError(str(path), number, message, raw, "item"))
            continue
        question = obj.get("question")
        yield DatasetRecord(
            id=str(obj.get("question_id", number - 1)),
            sql=obj["SQL"],
            question=question if isinstance(question, str) else None,
            sql_dialect=dialect,
            schema_ddl=ddl,
            schema_dialect=Engine.SQLITE,
            db_id=db_id,
            source=str(path),
            line=number,
            extra={
                k: v for k, v in obj.items() if k not in ("question_id", "SQL", "question", "db_id")
            },
        )


def iterate_spider(
    path: Path, document: Any, dialect: Engine, tables_path: Path, report: Report
) -> Iterator[DatasetRecord]:
    """Spider: `query` on a schema synthesised from tables.json (Spider ships no DDL)."""
    if not tables_path.is_file():
        raise DatasetError(f"Spider needs its tables.json: {tables_path} not found")
    entries = require_list(tables_path, read_json_document(tables_path))
    by_db = {
        entry["db_id"]: entry for entry in entries if isinstance(entry, dict) and "db_id" in entry
    }
    ddl_cache: dict[str, str] = {}
    for number, obj in enumerate(require_list(path, document), start=1):
        raw = truncate_raw(
            json.dumps({k: v for k, v in obj.items() if k not in SPIDER_DERIVED_KEYS})
            if isinstance(obj, dict)
            else json.dumps(obj)
        )
        if not isinstance(obj, dict) or not isinstance(obj.get("query"), str) or not obj["query"]:
            report(
                LoadError(str(path), number, "expected an object with a query string", raw, "item")
            )
            continue
        db_id = obj.get("db_id")
        if not isinstance(db_id, str) or db_id not in by_db:
            report(
                LoadError(
                    str(path), number, f"db_id {db_id!r} not in {tables_path.name}", raw, "item"
                )
            )
            continue
        if db_id not in ddl_cache:
            ddl_cache[db_id] = render_spider_ddl(by_db[db_id])
        question = obj.get("question")
        yield DatasetRecord(
            id=str(number - 1),
            sql=obj["query"],
            question=question if isinstance(question, str) else None,
            sql_dialect=dialect,
            schema_ddl=ddl_cache[db_id],
            schema_dialect=Engine.SQLITE,
            db_id=db_id,
            source=str(path),
            line=number,
            extra={
                k: v
                for k, v in obj.items()
                if k not in SPIDER_DERIVED_KEYS and k not in ("query", "question", "db_id")
            },
        )


def require_list(path: Path, document: Any) -> list[Any]:
    if not isinstance(document, list):
        raise DatasetError(f"{path}: expected a JSON array of records")
    return document
