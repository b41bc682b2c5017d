"""Per-record measurements every metric reads: query features, schema facts, columns, AST, labels.

Each record is measured once, with the foundation's extractor (shared/sql): `analyze_query` for
the query, `extract_schema_facts` for its schema. Labels (prompt style, domain, ...) are read
from the record's own fields when the dataset has them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from proto.common import Engine
from proto.sample import Scalar
from shared.datasets import DatasetRecord
from shared.report.columns import ColumnRef, find_columns
from shared.report.similarity import list_ast_nodes
from shared.sql.feature_parse import parse_sql, resolve_dialect
from shared.sql.features import QueryFeatures, analyze_query
from shared.sql.schema_facts import SchemaFacts, extract_schema_facts

# Report label -> field names that carry it, first match wins (case-insensitive).
LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    "prompt_style": ("prompt_style", "question_style", "style"),
    "domain": ("domain",),
    "task_type": ("sql_task_type", "task_type"),
    "complexity": ("complexity", "difficulty", "hardness"),
    "sql_complexity": ("sql_complexity",),
}
LABELS = tuple(LABEL_FIELDS)


@dataclass(frozen=True)
class RecordFacts:
    record: DatasetRecord
    features: QueryFeatures | None
    error: str | None
    schema: SchemaFacts | None
    # Identifies the database a query runs on, for coverage (None: no schema given).
    schema_key: str | None
    columns: frozenset[ColumnRef]
    tree: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    # Spec values the planner drew for this sample (our own records only).
    planned: dict[str, Scalar] = field(default_factory=dict)


# Our records' sql_context is the DDL, a newline, then one INSERT line per table
# (shared/pipeline/records.py): the schema facts need only the DDL.
OWN_ROWS_START = "\nINSERT INTO "


def measure_records(
    records: Sequence[DatasetRecord],
    label_map: Mapping[str, str] | None = None,
    *,
    own_format: bool = False,
) -> list[RecordFacts]:
    """Measure each record; `own_format` (records written by `sqlsynth run`) lets the schema
    reader skip the rows, which are most of the text and tell nothing about the schema."""
    return [measure_record(record, label_map or {}, own_format=own_format) for record in records]


def measure_record(
    record: DatasetRecord, label_map: Mapping[str, str], *, own_format: bool = False
) -> RecordFacts:
    dialect = record.sql_dialect or Engine.SQLITE
    analysis = analyze_query(record.sql, dialect)
    schema: SchemaFacts | None = None
    ddl = record.schema_ddl or ""
    if own_format and OWN_ROWS_START in ddl:
        ddl = ddl[: ddl.index(OWN_ROWS_START)]
    if ddl.strip():
        schema = extract_schema_facts(
            ddl, record.schema_dialect or record.sql_dialect or Engine.SQLITE
        )
    columns: frozenset[ColumnRef] = frozenset()
    tree: tuple[str, ...] = ()
    if analysis.features is not None:
        # analyze_query keeps no tree; one more parse (about a millisecond) gives columns and AST.
        statements = parse_sql(record.sql, resolve_dialect(dialect)).statements
        declared = dict(schema.columns) if schema is not None and schema.tables else None
        columns = find_columns(statements, analysis.features.tables, declared)
        tree = list_ast_nodes(statements)
    return RecordFacts(
        record=record,
        features=analysis.features,
        error=analysis.error,
        schema=schema,
        schema_key=_schema_key(record, schema),
        columns=columns,
        tree=tree,
        labels=read_labels(record, label_map),
        planned=read_planned(record),
    )


def _schema_key(record: DatasetRecord, schema: SchemaFacts | None) -> str | None:
    """db_id when the dataset names its databases; else the schema's tables and columns, so
    samples generated on the same tables share a database and per-sample schemas do not."""
    if record.db_id:
        return f"db:{record.db_id}"
    if schema is None or not schema.tables:
        return None
    shape = ";".join(f"{t}({','.join(schema.columns.get(t, ()))})" for t in sorted(schema.tables))
    return "ddl:" + hashlib.blake2b(shape.encode("utf-8"), digest_size=8).hexdigest()


def read_labels(record: DatasetRecord, label_map: Mapping[str, str]) -> dict[str, str]:
    by_lower = {key.lower(): key for key in record.extra}
    labels: dict[str, str] = {}
    for label, candidates in LABEL_FIELDS.items():
        names = (label_map[label],) if label in label_map else candidates
        for name in names:
            key = by_lower.get(name.lower())
            if key is None:
                continue
            value = _label_text(record.extra[key])
            if value is not None:
                labels[label] = value
            break
    return labels


def _label_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    return None


def read_planned(record: DatasetRecord) -> dict[str, Scalar]:
    """Our records keep the blueprint under `properties`, its spec draw under `properties`."""
    blueprint = record.extra.get("properties")
    if not isinstance(blueprint, dict):
        return {}
    drawn = blueprint.get("properties")
    if not isinstance(drawn, dict):
        return {}
    planned = {
        k: v for k, v in drawn.items() if v is None or isinstance(v, str | int | float | bool)
    }
    # The derived Gretel label is on the blueprint itself, not in the draw.
    label = blueprint.get("sql_complexity")
    if isinstance(label, str) and "sql_complexity" not in planned:
        planned["sql_complexity"] = label
    return planned
