"""Does a draft's SQL have the properties its blueprint planned? (DataFramer: "If a sample claims
to use aggregation but the query has no aggregation functions, it gets revised".)

Each rule yields at most one ConformanceDiff; an empty list means the query conforms. Features
the plan did not ask for are fine: a plan is a floor, not a ceiling. Rules: docs/features.md.
"""

from __future__ import annotations

from proto.common import TaskType
from proto.sample import Blueprint, ConformanceDiff
from shared.sql.features import QueryFeatures

# Statement types that can answer each task type.
TASK_STATEMENTS: dict[TaskType, tuple[str, ...]] = {
    TaskType.ANALYTICS: ("select",),
    TaskType.RETRIEVAL: ("select",),
    TaskType.MANIPULATION: ("delete", "insert", "update"),
}


def conformance_diffs(blueprint: Blueprint, features: QueryFeatures) -> list[ConformanceDiff]:
    """Every planned property the measured query lacks, in a stable order."""
    diffs: list[ConformanceDiff] = []
    if features.statements != 1:
        diffs.append(
            ConformanceDiff(property="statements", planned=1, measured=features.statements)
        )
    allowed = TASK_STATEMENTS[blueprint.task_type]
    if features.statement_type not in allowed:
        planned: str | list[str] = allowed[0] if len(allowed) == 1 else list(allowed)
        diffs.append(
            ConformanceDiff(
                property="statement_type", planned=planned, measured=features.statement_type
            )
        )
    if features.num_tables != blueprint.num_tables:
        diffs.append(
            ConformanceDiff(
                property="num_tables", planned=blueprint.num_tables, measured=features.num_tables
            )
        )
    # Bare lowercase names, as QueryFeatures.tables has them ("public.Orders" is "orders").
    planned_tables = sorted({table.lower().rsplit(".", 1)[-1] for table in blueprint.tables})
    if planned_tables and not set(planned_tables) <= set(features.tables):
        diffs.append(
            ConformanceDiff(
                property="tables", planned=planned_tables, measured=list(features.tables)
            )
        )
    kind = blueprint.join_kind
    if kind is not None and blueprint.num_tables > 1 and features.joins.get(kind, 0) == 0:
        present = [k.value for k, count in features.joins.items() if count]
        diffs.append(ConformanceDiff(property="join_kind", planned=kind.value, measured=present))
    measured = features.features
    for feature in dict.fromkeys(blueprint.features):
        if feature not in measured:
            diffs.append(ConformanceDiff(property=feature.value, planned=True, measured=False))
    return diffs
