"""Distributions of labels (prompt style, domain, task type, complexity) and measured classes.

Labels come from the records' own fields, so a dataset without them has no such distribution.
Two distributions are measured from the SQL for every dataset, so that all can be compared:
Gretel's `sql_complexity` label computed by our rule (`sql_complexity_measured`) and the
statement type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from proto.common import Complexity, PromptStyle, SqlFeature, TaskType
from shared.report.facts import LABELS, RecordFacts
from shared.spec.rules import SQL_COMPLEXITY_LABELS, label_sql_complexity

MEASURED_SQL_COMPLEXITY = "sql_complexity_measured"
STATEMENT_TYPE = "statement_type"
DATABASE = "database"
# Declared orders, so bars of different datasets line up in a meaningful order.
KNOWN_ORDER: dict[str, tuple[str, ...]] = {
    "prompt_style": tuple(s.value for s in PromptStyle),
    "task_type": tuple(t.value for t in TaskType),
    # BIRD spells its levels simple / moderate / challenging.
    "complexity": (*(c.value for c in Complexity), "simple", "moderate", "challenging"),
    "sql_complexity": SQL_COMPLEXITY_LABELS,
    MEASURED_SQL_COMPLEXITY: SQL_COMPLEXITY_LABELS,
}


def measure_sql_complexity(fact: RecordFacts) -> str | None:
    """Gretel's label by the spec's rule (shared.spec.rules), from the measured features."""
    features = fact.features
    if features is None:
        return None
    return label_sql_complexity(
        set(features.features), features.num_tables, joined=features.num_joins > 0
    )


def compute_distributions(facts: Sequence[RecordFacts]) -> dict[str, dict[str, Any]]:
    """name -> {"n": records with a value, "counts": {value: n}, "shares": {value: share}}."""
    columns: dict[str, list[str | None]] = {
        label: [f.labels.get(label) for f in facts] for label in LABELS
    }
    columns[MEASURED_SQL_COMPLEXITY] = [measure_sql_complexity(f) for f in facts]
    columns[STATEMENT_TYPE] = [f.features.statement_type if f.features else None for f in facts]
    columns[DATABASE] = [f.record.db_id for f in facts]
    return {name: summarise_values(name, values) for name, values in columns.items()}


def summarise_values(name: str, values: Iterable[str | None]) -> dict[str, Any]:
    counts = Counter(value for value in values if value is not None)
    total = sum(counts.values())
    ordered = order_counts(name, counts)
    return {
        "n": total,
        "counts": ordered,
        "shares": {value: n / total for value, n in ordered.items()} if total else {},
    }


def order_counts(name: str, counts: Counter[str]) -> dict[str, int]:
    """Known values in their declared order, then the rest by count (ties by name)."""
    known = [value for value in KNOWN_ORDER.get(name, ()) if value in counts]
    rest = sorted((v for v in counts if v not in known), key=lambda v: (-counts[v], v))
    return {value: counts[value] for value in [*known, *rest]}


# Features listed in the report's feature-usage chart (shares of queries with each).
FEATURE_ORDER = tuple(f.value for f in SqlFeature)


def compute_feature_usage(facts: Sequence[RecordFacts]) -> dict[str, float]:
    """Share of parsed queries having each SqlFeature (the blueprint vocabulary)."""
    parsed = [f.features for f in facts if f.features is not None]
    if not parsed:
        return {}
    counts = Counter(feature.value for q in parsed for feature in q.features)
    return {name: counts.get(name, 0) / len(parsed) for name in FEATURE_ORDER}
