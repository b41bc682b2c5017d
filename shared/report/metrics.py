"""The seed documents' dataset metrics, computed from RecordFacts (definitions: docs/report.md).

- DataFramer: shares of samples with 3-5 tables, non-inner joins, keys, advanced features;
- EvolSQL: mean complexity per query (tables, joins, functions, tokens, ...);
- Turing's HITL guide: table and column coverage, unique SQL patterns and their Shannon entropy;
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from proto.common import JoinKind
from shared.report.facts import RecordFacts
from shared.sql.features import QueryFeatures
from shared.sql.schema_facts import SchemaFacts

COMPLEXITY_KEYS = (
    "tables",
    "joins",
    "functions",
    "tokens",
    "aggregates",
    "subqueries",
    "window_functions",
    "ctes",
    "nesting",
)
SHARE_KEYS = (
    "query_tables_3_to_5",
    "schema_tables_3_to_5",
    "non_inner_join",
    "primary_key",
    "foreign_key",
    "cte",
    "set_operation",
    "window_function",
    "subquery",
)
# Histogram buckets: values above the cap share the last bucket ("8+").
HISTOGRAM_CAPS = {"tokens": 150, "functions": 10}
HISTOGRAM_WIDTHS = {"tokens": 10}
DEFAULT_CAP = 8
TOP_PATTERNS = 10


def count_complexity(features: QueryFeatures) -> dict[str, int]:
    """EvolSQL's per-query counts. Nesting counts levels, so a flat query has 1 (as EvolSQL's
    table, where Spider averages 1.07); `nesting_depth` is the extractor's 0-based depth."""
    return {
        "tables": features.num_tables,
        "joins": features.num_joins,
        "functions": len(features.functions),
        "tokens": features.tokens,
        "aggregates": len(features.aggregates),
        "subqueries": sum(features.subqueries.values()),
        "window_functions": features.window_functions,
        "ctes": features.ctes,
        "nesting": features.nesting_depth + 1,
    }


def list_parsed_features(facts: Sequence[RecordFacts]) -> list[QueryFeatures]:
    return [f.features for f in facts if f.features is not None]


def list_schemas(facts: Sequence[RecordFacts]) -> list[SchemaFacts]:
    return [f.schema for f in facts if f.schema is not None]


def compute_complexity(facts: Sequence[RecordFacts]) -> dict[str, float | None]:
    """Mean of each count over the queries that parse (None when none does)."""
    rows = [count_complexity(features) for features in list_parsed_features(facts)]
    means: dict[str, float | None] = {
        key: _mean([row[key] for row in rows]) for key in COMPLEXITY_KEYS
    }
    means["nesting_depth"] = _mean([row["nesting"] - 1 for row in rows])
    return means


def compute_histograms(facts: Sequence[RecordFacts]) -> dict[str, dict[str, int]]:
    """Per complexity count: how many queries fall in each bucket (every bucket up to the
    largest one used, zeros included, so side-by-side bars line up)."""
    rows = [count_complexity(features) for features in list_parsed_features(facts)]
    out: dict[str, dict[str, int]] = {}
    for key in COMPLEXITY_KEYS:
        width = HISTOGRAM_WIDTHS.get(key, 1)
        cap = HISTOGRAM_CAPS.get(key, DEFAULT_CAP)
        buckets = Counter(min(row[key], cap) // width for row in rows)
        top = max(buckets, default=-1)
        out[key] = {
            label_bucket(index, width, cap): buckets.get(index, 0) for index in range(top + 1)
        }
    return out


def label_bucket(index: int, width: int, cap: int) -> str:
    low = index * width
    if low >= cap:
        return f"{cap}+"
    return str(low) if width == 1 else f"{low}-{low + width - 1}"


def compute_shares(facts: Sequence[RecordFacts]) -> dict[str, Any]:
    """DataFramer's table. Query shares are over the queries that parse, schema shares over the
    records that carry a schema; None when there is nothing to count."""
    queries = list_parsed_features(facts)
    schemas = list_schemas(facts)
    joined = [q for q in queries if q.num_joins > 0]

    def share(items: Sequence[Any], test: Callable[[Any], bool]) -> float | None:
        return sum(1 for item in items if test(item)) / len(items) if items else None

    return {
        "query_tables_3_to_5": share(queries, lambda q: 3 <= q.num_tables <= 5),
        "schema_tables_3_to_5": share(schemas, lambda s: 3 <= len(s.tables) <= 5),
        "non_inner_join": share(queries, _has_non_inner_join),
        "primary_key": share(schemas, lambda s: s.has_primary_key),
        "foreign_key": share(schemas, lambda s: s.has_foreign_key),
        "cte": share(queries, lambda q: q.ctes > 0),
        "set_operation": share(queries, lambda q: bool(q.set_operations)),
        "window_function": share(queries, lambda q: q.window_functions > 0),
        "subquery": share(queries, lambda q: sum(q.subqueries.values()) > 0),
        # Beyond DataFramer's table: the join share and non-inner joins among joined queries.
        "join": share(queries, lambda q: q.num_joins > 0),
        "non_inner_join_among_joined": share(joined, _has_non_inner_join),
        "queries": len(queries),
        "schemas": len(schemas),
    }


def _has_non_inner_join(features: QueryFeatures) -> bool:
    return any(count > 0 for kind, count in features.joins.items() if kind is not JoinKind.INNER)


def compute_patterns(facts: Sequence[RecordFacts]) -> dict[str, Any]:
    """Turing's HITL: unique structural patterns and the Shannon entropy (bits) of their shares."""
    counts = Counter(features.pattern for features in list_parsed_features(facts))
    total = sum(counts.values())
    entropy = -sum((n / total) * math.log2(n / total) for n in counts.values()) if total else None
    return {
        "unique": len(counts),
        "entropy": entropy,
        "max_entropy": math.log2(total) if total else None,
        "top": [[pattern, n] for pattern, n in counts.most_common(TOP_PATTERNS)],
    }


def compute_coverage(facts: Sequence[RecordFacts]) -> dict[str, Any]:
    """Turing's HITL: distinct tables and columns the queries read. A table is (database, name), the
    database being the record's schema key; `table_share`/`column_share` divide by what the
    schemas declare (None without schemas)."""
    used_tables: set[tuple[str, str]] = set()
    used_columns: set[tuple[str, str, str]] = set()
    declared_tables: set[tuple[str, str]] = set()
    declared_columns: set[tuple[str, str, str]] = set()
    databases: set[str] = set()
    for fact in facts:
        key = fact.schema_key or ""
        if fact.schema is not None and fact.schema_key is not None and key not in databases:
            databases.add(key)
            for table in fact.schema.tables:
                declared_tables.add((key, table))
                declared_columns.update((key, table, c) for c in fact.schema.columns[table])
        if fact.features is None:
            continue
        used_tables.update((key, table) for table in fact.features.tables)
        used_columns.update((key, table, column) for table, column in fact.columns)
    return {
        "tables": len(used_tables),
        "columns": len(used_columns),
        "databases": len(databases),
        "schema_tables": len(declared_tables) if declared_tables else None,
        "schema_columns": len(declared_columns) if declared_columns else None,
        "table_share": _ratio(len(used_tables & declared_tables), len(declared_tables)),
        "column_share": _ratio(len(used_columns & declared_columns), len(declared_columns)),
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
